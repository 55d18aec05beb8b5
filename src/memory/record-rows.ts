import { Position } from './cursor';
import { MemoryRecord, Visibility } from './memory-record';

/**
 * The one row shape that memories and messages are both read into, so that history can UNION them and every list
 * maps rows the same way. A message is authored by its sender: agent_id = from_agent.
 */
export const MEMORY_COLUMNS = `id, agent_id, 'context'::text AS kind, type, context, tags, visibility::text AS visibility,
  created_at, expires_at, NULL::varchar AS from_agent, NULL::varchar AS to_agent`;

export const MESSAGE_COLUMNS = `id, from_agent AS agent_id, 'message'::text AS kind, type, payload AS context,
  '{}'::text[] AS tags, 'shared'::text AS visibility, created_at, NULL::timestamptz AS expires_at, from_agent, to_agent`;

export const NEWEST_FIRST = 'ORDER BY created_at DESC, id DESC';

export interface RecordRow {
  id: string;
  agent_id: string;
  kind: 'context' | 'message';
  type: string | null;
  context: Record<string, unknown>;
  tags: string[];
  visibility: Visibility;
  created_at: Date;
  expires_at: Date | null;
  from_agent: string | null;
  to_agent: string | null;
}

export function toMemoryRecord(row: RecordRow): MemoryRecord {
  const record: MemoryRecord = {
    id: row.id,
    agentId: row.agent_id,
    kind: row.kind,
    type: row.type,
    context: row.context,
    tags: row.tags,
    visibility: row.visibility,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
  };
  if (row.kind === 'message') {
    record.fromAgent = row.from_agent ?? undefined;
    record.toAgent = row.to_agent ?? undefined;
    record.messageId = row.id;
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

  /** "AND (created_at, id) < (...)" after a cursor, or nothing on the first page. */
  olderThan(position: Position | null): string {
    if (!position) return '';
    return `AND (created_at, id) < (${this.add(position.createdAt)}::timestamptz, ${this.add(position.id)}::uuid)`;
  }
}
