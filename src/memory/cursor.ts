import { InvalidRequestError } from '../common/errors';
import { Page } from './memory-record';

/** Where a newest-first page ends: lists are ordered by (created_at DESC, id DESC). */
export interface Position {
  createdAt: Date;
  id: string;
}

const DECODED =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Opaque to clients: base64url of "<createdAt ISO>|<id>". Timestamps are stored at millisecond precision. */
export function encodeCursor(position: { createdAt: string; id: string }): string {
  return Buffer.from(`${position.createdAt}|${position.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Position | null {
  if (cursor === undefined) return null;
  const match = /^[A-Za-z0-9_-]{1,200}$/.test(cursor)
    ? DECODED.exec(Buffer.from(cursor, 'base64url').toString())
    : null;
  const createdAt = match ? new Date(match[1]) : null;
  if (!match || !createdAt || Number.isNaN(createdAt.getTime()))
    throw new InvalidRequestError('cursor is not valid (use the nextCursor of the previous page)');
  return { createdAt, id: match[2] };
}

/** Rows were fetched with limit + 1: the extra one only says that another page exists. */
export function toPage<T extends { createdAt: string; id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
