import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AGENT_REGISTRATIONS, type AgentRegistrations } from './agent-registrations';
import type { ArchivedAck, ArchivedMessage } from './archive-records';
import { Position } from './cursor';
import { MessageEntity } from './entities/message.entity';
import { MemoryReads } from './memory-reads';
import { postgres } from './postgres';
import { MESSAGE_COLUMNS, NEWEST_FIRST, RecordRow, SqlParams } from './record-rows';
import { storableJson, storableText, storedJson } from './storable';

/** The `messages` and `message_acks` tables: SQL only. */
@Injectable()
export class MessagesRepository {
  constructor(
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    private readonly reads: MemoryReads,
    @Inject(AGENT_REGISTRATIONS) private readonly registrations: AgentRegistrations,
  ) {}

  /**
   * One INSERT for the whole batch (arrays unnested: 11 parameters whatever the batch size); ids already stored,
   * or repeated within the batch, are skipped. Returns the rows actually inserted.
   */
  async insertBatch(unordered: ArchivedMessage[]): Promise<number> {
    const batch = inKeyOrder(unordered, (m) => m.id);
    const payloads = batch.map((m) => storableJson(m.payload));
    const rows = await postgres(
      this.messages.query(
        `WITH inserted AS (
           INSERT INTO messages (id, from_agent, to_agent, priority, type, payload, created_at, seq, in_reply_to,
                                 routed_by, payload_text)
           SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::text[], $6::jsonb[],
                                $7::timestamptz[], $8::bigint[], $9::uuid[], $10::varchar[], $11::text[])
           ON CONFLICT (id) DO NOTHING
           RETURNING 1)
         SELECT count(*)::int AS count FROM inserted`,
        [
          batch.map((m) => m.id),
          batch.map((m) => m.fromAgent),
          batch.map((m) => m.toAgent),
          batch.map((m) => m.priority),
          batch.map((m) => (m.type === null ? null : storableText(m.type))),
          payloads.map((payload) => payload.json),
          batch.map((m) => m.createdAt.toISOString()),
          batch.map((m) => streamSeq(m.streamId)),
          batch.map((m) => m.inReplyTo ?? null),
          batch.map((m) => m.routedBy ?? null),
          payloads.map((payload) => payload.exact),
        ],
      ),
    );
    return (rows as { count: number }[])[0].count;
  }

  /** An ack already stored keeps its first time. Returns the rows actually inserted. */
  async insertAcks(unordered: ArchivedAck[]): Promise<number> {
    const batch = inKeyOrder(unordered, (a) => `${a.messageId} ${a.agentId}`);
    const rows = await postgres(
      this.messages.query(
        `WITH inserted AS (
           INSERT INTO message_acks (message_id, agent_id, acknowledged_at)
           SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[])
           ON CONFLICT (message_id, agent_id) DO NOTHING
           RETURNING 1)
         SELECT count(*)::int AS count FROM inserted`,
        [
          batch.map((a) => a.messageId),
          batch.map((a) => a.agentId),
          batch.map((a) => a.acknowledgedAt.toISOString()),
        ],
      ),
    );
    return (rows as { count: number }[])[0].count;
  }

  async findById(id: string): Promise<ArchivedMessage | null> {
    const entity = await postgres(this.messages.findOneBy({ id }));
    if (!entity) return null;
    const { fromAgent, toAgent, priority, type, createdAt, inReplyTo, routedBy } = entity;
    const payload = storedJson(entity.payload, entity.payloadText);
    return { id, fromAgent, toAgent, priority, type, payload, createdAt, inReplyTo, routedBy };
  }

  async findAcks(messageId: string): Promise<ArchivedAck[]> {
    const rows: { agent_id: string; acknowledged_at: Date }[] = await postgres(
      this.messages.query(
        `SELECT agent_id, acknowledged_at FROM message_acks WHERE message_id = $1 ORDER BY acknowledged_at, agent_id`,
        [messageId],
      ),
    );
    return rows.map((row) => ({ messageId, agentId: row.agent_id, acknowledgedAt: row.acknowledged_at }));
  }

  async count(): Promise<number> {
    const rows = await postgres(this.messages.query(`SELECT count(*) AS count FROM messages`));
    // bigint arrives as a string.
    return Number((rows as { count: string }[])[0].count);
  }

  /**
   * Direct messages between a and b, both directions, newest first; `limit` rows after `after`, cut at `maxBytes`
   * of JSON; when `sinceRegistrations`, only those from the later of both sides' registrations on (from either's
   * when only one is registered). The registration dates are read in the same statement (one round trip), and the
   * statement is prepared: its text depends only on which clauses are present.
   */
  async findConversation(
    pair: { a: string; b: string; sinceRegistrations: boolean },
    after: Position | null,
    limit: number,
    maxBytes: number,
  ): Promise<RecordRow[]> {
    const params = new SqlParams();
    const [first, second, max] = [params.add(pair.a), params.add(pair.b), params.add(limit)];
    // greatest() skips NULLs (a side not registered); neither registered: no bound.
    const registered = `greatest(${this.registrations.registeredAtSql(first)}, ${this.registrations.registeredAtSql(second)})`;
    const since = pair.sinceRegistrations ? `AND created_at >= coalesce(${registered}, '-infinity')` : '';
    const keyset = `${since} ${params.olderThan(after)}`;
    // One index scan per direction; a conversation with oneself is read once (the second branch excludes it).
    const ordered = `SELECT * FROM (
        (SELECT ${MESSAGE_COLUMNS} FROM messages WHERE from_agent = ${first} AND to_agent = ${second} ${keyset}
         ${NEWEST_FIRST} LIMIT ${max})
        UNION ALL
        (SELECT ${MESSAGE_COLUMNS} FROM messages
         WHERE from_agent = ${second} AND to_agent = ${first} AND from_agent <> to_agent ${keyset}
         ${NEWEST_FIRST} LIMIT ${max})
      ) conversation ${NEWEST_FIRST} LIMIT ${max}`;
    return this.reads.query<RecordRow>(params.withinBytes(ordered, maxBytes), params.values, {
      prepared: true,
    });
  }

  /** Deletes up to `batchSize` messages created before `cutoff`, with their acks. Returns messages deleted. */
  async deleteBatchCreatedBefore(cutoff: Date, batchSize: number): Promise<number> {
    const rows = await postgres(
      this.messages.query(
        `WITH gone AS (
           DELETE FROM messages
           WHERE id IN (SELECT id FROM messages WHERE created_at < $1 LIMIT $2)
           RETURNING id),
         gone_acks AS (DELETE FROM message_acks WHERE message_id IN (SELECT id FROM gone))
         SELECT count(*)::int AS count FROM gone`,
        [cutoff, batchSize],
      ),
    );
    return (rows as { count: number }[])[0].count;
  }

  /** Deletes up to `batchSize` acks made before `cutoff` (those whose message is gone or never came). */
  async deleteAckBatchBefore(cutoff: Date, batchSize: number): Promise<number> {
    const rows = await postgres(
      this.messages.query(
        `WITH gone AS (
           DELETE FROM message_acks
           WHERE (message_id, agent_id) IN (
             SELECT message_id, agent_id FROM message_acks WHERE acknowledged_at < $1 LIMIT $2)
           RETURNING 1)
         SELECT count(*)::int AS count FROM gone`,
        [cutoff, batchSize],
      ),
    );
    return (rows as { count: number }[])[0].count;
  }

  async truncate(): Promise<void> {
    await postgres(this.messages.query(`TRUNCATE messages, message_acks`));
  }
}

/**
 * A message's stream position as one sortable bigint: entry ms × 2^20 + entry sequence (a stream never holds a
 * million entries of one millisecond). Messages archived without a position get 0.
 */
function streamSeq(streamId: string | undefined): string {
  const match = streamId ? /^(\d{1,15})-(\d{1,19})$/.exec(streamId) : null;
  if (!match) return '0';
  const sequence = BigInt(match[2]) < 1n << 20n ? BigInt(match[2]) : (1n << 20n) - 1n;
  return ((BigInt(match[1]) << 20n) + sequence).toString();
}

/**
 * Two archivers inserting overlapping batches (a re-delivered entry) take their row locks in the same order, so
 * they wait for each other instead of deadlocking.
 */
function inKeyOrder<T>(batch: T[], key: (item: T) => string): T[] {
  return [...batch].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
