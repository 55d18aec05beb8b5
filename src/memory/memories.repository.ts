import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Position } from './cursor';
import { MemoryRecord, Visibility } from './memory-record';
import { MemoryEntity } from './entities/memory.entity';
import { MemoryReads } from './memory-reads';
import { postgres } from './postgres';
import { MEMORY_COLUMNS, NEWEST_FIRST, RecordRow, SqlParams, toMemoryRecord } from './record-rows';
import { storableJson, storableText } from './storable';

export interface NewMemory {
  id: string;
  agentId: string;
  type: string | null;
  context: Record<string, unknown>;
  tags: string[];
  visibility: Visibility;
  createdAt: Date;
  expiresAt: Date | null;
}

/** Filters of one memory list; every field narrows it. */
export interface MemoryFilter {
  agentId: string;
  /** Records not expired at this instant. */
  liveAt: Date;
  sharedOnly: boolean;
  type?: string;
  tags?: string[];
  text?: string;
  since?: Date;
  until?: Date;
  /** Only records of the owner's current incarnation: created since it registered (a re-registered id starts empty). */
  registeredAt?: Date;
}

/** The `memories` table: SQL only. */
@Injectable()
export class MemoriesRepository {
  constructor(
    @InjectRepository(MemoryEntity) private readonly memories: Repository<MemoryEntity>,
    private readonly reads: MemoryReads,
  ) {}

  /** Returns the record as stored, exactly as a later read returns it. */
  async insert(memory: NewMemory): Promise<MemoryRecord> {
    const context = storableJson(memory.context);
    const rows: RecordRow[] = await postgres(
      this.memories.query(
        `INSERT INTO memories (id, agent_id, type, context, context_text, tags, visibility, created_at, expires_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6::text[], $7, $8, $9)
         RETURNING ${MEMORY_COLUMNS}`,
        [
          memory.id,
          memory.agentId,
          memory.type === null ? null : storableText(memory.type),
          context.json,
          context.exact,
          memory.tags.map(storableText),
          memory.visibility,
          memory.createdAt,
          memory.expiresAt,
        ],
      ),
    );
    return toMemoryRecord(rows[0]);
  }

  /**
   * Newest first, `limit` rows after `after`, cut at `maxBytes` of JSON (see SqlParams.withinBytes). Served by
   * memories_agent_created_idx, GIN on tags and search.
   */
  async findPage(
    filter: MemoryFilter,
    after: Position | null,
    limit: number,
    maxBytes: number,
  ): Promise<RecordRow[]> {
    const params = new SqlParams();
    const where = [`agent_id = ${params.add(filter.agentId)}`, liveAt(params, filter.liveAt)];
    if (filter.sharedOnly) where.push(`visibility = 'shared'`);
    if (filter.type !== undefined) where.push(`type = ${params.add(storableText(filter.type))}`);
    if (filter.tags?.length) where.push(`tags @> ${params.add(filter.tags.map(storableText))}::text[]`);
    if (filter.text !== undefined)
      where.push(`search @@ websearch_to_tsquery('english', ${params.add(storableText(filter.text))})`);
    if (filter.since) where.push(`created_at >= ${params.add(filter.since)}`);
    if (filter.until) where.push(`created_at < ${params.add(filter.until)}`);
    if (filter.registeredAt) where.push(`created_at >= ${params.add(filter.registeredAt)}`);
    const ordered = `SELECT ${MEMORY_COLUMNS} FROM memories WHERE ${where.join(' AND ')} ${params.olderThan(after)}
      ${NEWEST_FIRST} LIMIT ${params.add(limit)}`;
    return this.reads.query<RecordRow>(params.withinBytes(ordered, maxBytes), params.values);
  }

  /** Deletes up to `batchSize` memories expired at `now`. Returns how many went, and whose they were. */
  async deleteExpiredBatch(now: Date, batchSize: number): Promise<{ count: number; agentIds: string[] }> {
    const rows: { agent_id: string; count: number }[] = await postgres(
      this.memories.query(
        `WITH gone AS (
           DELETE FROM memories
           WHERE id IN (SELECT id FROM memories WHERE expires_at <= $1 LIMIT $2)
           RETURNING agent_id)
         SELECT agent_id, count(*)::int AS count FROM gone GROUP BY agent_id`,
        [now, batchSize],
      ),
    );
    return {
      count: rows.reduce((sum, row) => sum + row.count, 0),
      agentIds: rows.map((row) => row.agent_id),
    };
  }

  async findAgentIds(): Promise<string[]> {
    const rows: { agent_id: string }[] = await postgres(
      this.memories.query(`SELECT DISTINCT agent_id FROM memories`),
    );
    return rows.map((row) => row.agent_id);
  }

  async truncate(): Promise<void> {
    await postgres(this.memories.query(`TRUNCATE memories`));
  }
}

/** "Not expired at `at`": the one definition every read of memories uses. */
export function liveAt(params: SqlParams, at: Date): string {
  return `(expires_at IS NULL OR expires_at > ${params.add(at)})`;
}
