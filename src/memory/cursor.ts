import { InvalidRequestError } from '../common/errors';

/**
 * Where a newest-first page ends: lists are ordered by (created_at DESC, seq DESC, id DESC), `seq` being a
 * message's stream position (0 for memories), so records of the same millisecond keep one stable order.
 */
export interface Position {
  createdAt: Date;
  /** A bigint, kept as its decimal text. */
  seq: string;
  id: string;
}

const ISO = '(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z)';
const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const DECODED = new RegExp(`^${ISO}\\|(\\d{1,19})\\|${UUID}$`);
/** Cursors handed out before `seq` existed: they continue from the start of their millisecond. */
const DECODED_WITHOUT_SEQ = new RegExp(`^${ISO}\\|${UUID}$`);
const MAX_SEQ = '9223372036854775807';

/** Opaque to clients: base64url of "<createdAt ISO>|<seq>|<id>". Timestamps are stored at millisecond precision. */
export function encodeCursor(position: { createdAt: string; seq: string; id: string }): string {
  return Buffer.from(`${position.createdAt}|${position.seq}|${position.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Position | null {
  if (cursor === undefined) return null;
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const match = DECODED.exec(text);
  const legacy = match ? null : DECODED_WITHOUT_SEQ.exec(text);
  const [iso, seq, id] = match
    ? [match[1], match[2], match[3]]
    : legacy
      ? [legacy[1], MAX_SEQ, legacy[2]]
      : [];
  const createdAt = iso ? new Date(iso) : null;
  if (!createdAt || Number.isNaN(createdAt.getTime()) || !seq || BigInt(seq) > BigInt(MAX_SEQ) || !id)
    throw new InvalidRequestError('cursor is not valid (use the nextCursor of the previous page)');
  return { createdAt, seq, id };
}
