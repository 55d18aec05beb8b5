import { InvalidRequestError } from '../common/errors';
import { isAgentId, MESSAGE_ID_PATTERN } from '../infrastructure/redis/keys';

export const UUID = MESSAGE_ID_PATTERN;
export const MAX_COUNT = 1000;
export const MAX_WAIT_MS = 30000;

export function checkAgentId(agentId: string, field: string): void {
  if (typeof agentId !== 'string' || !isAgentId(agentId)) {
    throw new InvalidRequestError(`${field} must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'`);
  }
}
