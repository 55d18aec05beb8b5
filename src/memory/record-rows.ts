import { encodeCursor, Position } from './cursor';
import { MemoryRecord, Page, Visibility } from './memory-record';
import { storedJson } from './storable';

/**
 * The one row shape that memories and messages are both read into, so that history can UNION them and every list
 * maps rows the same way. A message is authored by its sender: agent_id = from_agent.
 * A context or payload with an exact JSON text (storable.ts: jsonb could not hold it) comes as that text alone, and
 * `bytes` is its size: the JSON a page sends.
 */
export const MEMORY_COLUMNS = `id, agent_id, 'context'::text AS kind, type,
  CASE WHEN context_text IS NULL THEN context END AS context, context_text, tags, visibility::text AS visibility,
  created_at, expires_at, NULL::varchar AS from_agent, NULL::varchar AS to_agent, seq,
  coalesce(octet_length(context_text), context_bytes) AS bytes, NULL::uuid AS in_reply_to`;

export const MESSAGE_COLUMNS = `id, from_agent AS agent_id, 'message'::text AS kind, type,
  CASE WHEN payload_text IS NULL THEN payload END AS context, payload_text AS context_text, '{}'::text[] AS tags,
  'shared'::text AS visibility, created_at, NULL::timestamptz AS expires_at, from_agent, to_agent, seq,
  coalesce(octet_length(payload_text), payload_bytes) AS bytes, in_reply_to`;

const ORDER = 'created_at DESC, seq DESC, id DESC';
export const NEWEST_FIRST = `ORDER BY ${ORDER}`;

/**
 * What a record adds to a page's JSON besides its context (ids, dates, type, tags...): an estimate, used only to
 * decide in SQL which rows are worth sending; the page itself is cut on the exact size (toRecordPage).
 */
const RECORD_OVERHEAD_BYTES = 512;
/** `{"items":[` ... `],"nextCursor":"..."}` */
const PAGE_ENVELOPE_BYTES = 200;

export interface RecordRow {
  id: string;
  agent_id: string;
  kind: 'context' | 'message';
  type: string | null;
  /** Null when `context_text` holds the exact JSON instead. */
  context: Record<string, unknown> | null;
  context_text: string | null;
  tags: string[];
  visibility: Visibility;
  created_at: Date;
  expires_at: Date | null;
  from_agent: string | null;
  to_agent: string | null;
  /** bigint, as text. */
  seq: string;
  bytes: number;
  in_reply_to: string | null;
  /** How many rows the ordered statement produced before the byte budget cut it (bigint, as text). */
  fetched?: string;
}

export function toMemoryRecord(row: RecordRow): MemoryRecord {
  const record: MemoryRecord = {
    id: row.id,
    agentId: row.agent_id,
    kind: row.kind,
    type: row.type,
    context: storedJson(row.context, row.context_text),
    tags: row.tags,
    visibility: row.visibility,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
  };
  if (row.kind === 'message') {
    record.fromAgent = row.from_agent ?? undefined;
    record.toAgent = row.to_agent ?? undefined;
    record.messageId = row.id;
    record.inReplyTo = row.in_reply_to;
  }
  return record;
}

/** Collects positional parameters ($1, $2, ...) while a statement is assembled. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** "AND (created_at, seq, id) < (...)" after a cursor, or nothing on the first page. */
  olderThan(position: Position | null): string {
    if (!position) return '';
    return `AND (created_at, seq, id) < (${this.add(position.createdAt)}::timestamptz, ${this.add(position.seq)}::bigint,
      ${this.add(position.id)}::uuid)`;
  }

  /**
   * Wraps an ordered statement of RecordRows (LIMIT limit + 1) so that Postgres returns only the rows that fit in
   * `maxBytes` of JSON (the first one always), with `fetched` saying how many there were before the cut. The
   * records it leaves out are never de-TOASTed nor sent, whatever their size.
   */
  withinBytes(ordered: string, maxBytes: number): string {
    const size = `(bytes + ${RECORD_OVERHEAD_BYTES})`;
    return `SELECT * FROM (
        SELECT page.*, count(*) OVER () AS fetched,
               sum${size} OVER (ORDER BY ${ORDER} ROWS UNBOUNDED PRECEDING) - ${size} AS before
        FROM (${ordered}) page
      ) sized WHERE before < ${this.add(maxBytes - PAGE_ENVELOPE_BYTES)} ${NEWEST_FIRST}`;
  }
}

/**
 * At most `limit` records and at most `maxBytes` of JSON (sizes are exact but for the contexts', which are upper
 * bounds), except that a first record larger than that is returned
 * alone, so paging always moves on. `nextCursor` continues right after the last record returned.
 */
export function toRecordPage(rows: RecordRow[], limit: number, maxBytes: number): Page<MemoryRecord> {
  const items: MemoryRecord[] = [];
  let bytes = PAGE_ENVELOPE_BYTES;
  let last: RecordRow | undefined;
  for (const row of rows.slice(0, limit)) {
    const record = toMemoryRecord(row);
    // The context is not serialised here: its stored JSON text (Postgres adds a space after each ':' and ',') is
    // never shorter than the JSON sent, and an exact text is the JSON sent. The 0 standing in for it counts as the
    // comma between records.
    const size = Buffer.byteLength(JSON.stringify({ ...record, context: 0 })) + row.bytes;
    if (last && bytes + size > maxBytes) break;
    items.push(record);
    bytes += size;
    last = row;
  }
  const more = last !== undefined && Number(rows[0].fetched ?? rows.length) > items.length;
  return {
    items,
    nextCursor:
      more && last
        ? encodeCursor({ createdAt: last.created_at.toISOString(), seq: last.seq, id: last.id })
        : null,
  };
}
