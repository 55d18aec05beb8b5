import { InvalidRequestError } from '../common/errors';

/**
 * Where a dead-letter page continues: in each of the agent's two dead-letter streams (its direct mailbox's, its
 * broadcast membership's), the entry id of the last letter already returned, or null when none was yet.
 */
export interface DeadLetterPosition {
  direct: string | null;
  broadcast: string | null;
}

const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;
const INVALID_CURSOR = 'cursor is not valid (use the nextCursor of the previous page)';

export function encodeDeadLetterCursor(position: DeadLetterPosition): string {
  return Buffer.from(`${position.direct ?? ''}|${position.broadcast ?? ''}`).toString('base64url');
}

export function decodeDeadLetterCursor(cursor: string | undefined): DeadLetterPosition {
  if (cursor === undefined) return { direct: null, broadcast: null };
  const parts = Buffer.from(cursor, 'base64url').toString().split('|');
  const valid = (part: string) => part === '' || ENTRY_ID.test(part);
  if (parts.length !== 2 || !parts.every(valid) || encodeDeadLetterCursor(toPosition(parts)) !== cursor)
    throw new InvalidRequestError(INVALID_CURSOR);
  return toPosition(parts);
}

const toPosition = ([direct, broadcast]: string[]): DeadLetterPosition => ({
  direct: direct || null,
  broadcast: broadcast || null,
});
