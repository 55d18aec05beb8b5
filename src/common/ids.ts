import { InvalidRequestError } from './errors';
import { isSafeText, SAFE_TEXT_RULE } from './json-input';
import { MAX_TYPE_LENGTH } from './limits';

/**
 * Brain's id and name rules, defined once: the REST DTOs, the services (for in-process agents) and the Redis key
 * builder all check against these, so every entry point accepts exactly the same ids.
 */

/** The recipient of a broadcast; reserved, so no agent can be named like it. */
export const BROADCAST = 'broadcast';

export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const RESERVED_AGENT_IDS: ReadonlySet<string> = new Set([BROADCAST]);
export const AGENT_ID_RULE = `must match ${AGENT_ID_PATTERN.source} and not be '${BROADCAST}'`;

export function isAgentId(value: string): boolean {
  return AGENT_ID_PATTERN.test(value) && !RESERVED_AGENT_IDS.has(value);
}

/** Message ids are lowercase uuids (inputs are lowercased before the test). */
export const MESSAGE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Consumer names (lease mode) go into consumer groups as they are. */
/** A page cursor, as Brain hands it out (opaque base64url). */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;

export const CONSUMER_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Delivery order: pending messages come critical first. */
export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** `type` is optional free text: absent, null and "" all mean no type, answered and stored as null (contract). */
export const messageType = (type: string | null | undefined): string | null => type || null;

/**
 * A message's or memory's type as every way in must check it (REST's rule and wording, for in-process agents too):
 * at most MAX_TYPE_LENGTH characters of storable text; absent or "" is no type.
 */
export function checkedType(type: unknown): string | null {
  if (type === undefined || type === null || type === '') return null;
  if (typeof type !== 'string' || type.length > MAX_TYPE_LENGTH)
    throw new InvalidRequestError(`type must be a string of at most ${MAX_TYPE_LENGTH} characters`);
  if (!isSafeText(type)) throw new InvalidRequestError(`type ${SAFE_TEXT_RULE}`);
  return type;
}
