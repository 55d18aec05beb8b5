import { InvalidRequestError } from '../common/errors';
import { AGENT_ID_RULE, isAgentId, MESSAGE_ID_PATTERN } from '../common/ids';

export { MAX_COUNT, MAX_WAIT_MS } from '../common/limits';
export const UUID = MESSAGE_ID_PATTERN;

export function checkAgentId(agentId: string, field: string): void {
  if (typeof agentId !== 'string' || !isAgentId(agentId)) {
    throw new InvalidRequestError(`${field} ${AGENT_ID_RULE}`);
  }
}
