import { AGENT_ID_RULE, isAgentId } from '../common/ids';
import { InvalidRequestError } from '../common/errors';
import { isJsonObject, isSafeText, SAFE_TEXT_RULE, unsafeTextProblem } from '../common/json-input';
import {
  MAX_AGENT_DESCRIPTION_LENGTH,
  MAX_AGENT_NAME_LENGTH,
  MAX_CAPABILITIES,
  MAX_CAPABILITY_LENGTH,
} from '../common/limits';

/** What a registration carries; the REST DTO (RegisterAgentRequest) checks the same rules before it gets here. */
export interface RegisterAgentInput {
  id: string;
  name?: string;
  description?: string;
  capabilities?: string[];
  metadata?: Record<string, unknown>;
}

/**
 * The registration rules for callers that bypass HTTP (in-process agents), the same limits and text rule as the
 * REST layer: an agent must not be able to store in-process what an HTTP client could not.
 */
export function checkRegistration(input: RegisterAgentInput): void {
  if (typeof input.id !== 'string' || !isAgentId(input.id))
    throw new InvalidRequestError(`id ${AGENT_ID_RULE}`);
  checkText('name', input.name, MAX_AGENT_NAME_LENGTH);
  checkText('description', input.description, MAX_AGENT_DESCRIPTION_LENGTH);
  const capabilities = input.capabilities;
  if (capabilities !== undefined) {
    const rule = `capabilities must be a list of at most ${MAX_CAPABILITIES} strings of 1..${MAX_CAPABILITY_LENGTH} characters`;
    if (!Array.isArray(capabilities) || capabilities.length > MAX_CAPABILITIES)
      throw new InvalidRequestError(rule);
    capabilities.forEach((capability, i) =>
      checkText(`capabilities[${i}]`, capability, MAX_CAPABILITY_LENGTH, rule),
    );
  }
  if (input.metadata !== undefined) {
    if (!isJsonObject(input.metadata)) throw new InvalidRequestError('metadata must be a JSON object');
    const problem = unsafeTextProblem(input.metadata, 'metadata');
    if (problem) throw new InvalidRequestError(problem);
  }
}

function checkText(name: string, value: unknown, max: number, rule?: string): void {
  if (value === undefined && !rule) return;
  if (typeof value !== 'string' || value.length > max || (rule && value.length < 1))
    throw new InvalidRequestError(rule ?? `${name} must be a string of at most ${max} characters`);
  if (!isSafeText(value)) throw new InvalidRequestError(`${name} ${SAFE_TEXT_RULE}`);
}
