import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { BROADCAST } from '../context-sync/context-message';
import { AgentActivity, PairActivity } from './memory-record';
import { MessageEntity } from './entities/message.entity';
import { postgres } from './postgres';

/** A half-open time window [since, until) and the instant that decides which memories have expired. */
export interface Window {
  since: Date;
  until: Date;
  now: Date;
}

/**
 * Aggregates over a time window, computed by Postgres (range scans on messages_created_idx and
 * memories_created_idx). SQL only; which records count is documented on the Insights type.
 */
@Injectable()
export class InsightsRepository {
  constructor(@InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>) {}

  async agentActivity(window: Window): Promise<AgentActivity[]> {
    const rows: { agent_id: string; sent: number; received: number; memories: number }[] = await postgres(
      this.messages.query(
        `WITH windowed AS (SELECT from_agent, to_agent FROM messages WHERE created_at >= $1 AND created_at < $2),
         sent AS (SELECT from_agent AS agent_id, count(*) AS n FROM windowed GROUP BY from_agent),
         received AS (SELECT to_agent AS agent_id, count(*) AS n FROM windowed WHERE to_agent <> $4 GROUP BY to_agent),
         stored AS (
           SELECT agent_id, count(*) AS n FROM memories
           WHERE created_at >= $1 AND created_at < $2 AND (expires_at IS NULL OR expires_at > $3)
           GROUP BY agent_id)
         SELECT agent_id, coalesce(sent.n, 0)::int AS sent, coalesce(received.n, 0)::int AS received,
                coalesce(stored.n, 0)::int AS memories
         FROM sent FULL JOIN received USING (agent_id) FULL JOIN stored USING (agent_id)
         ORDER BY agent_id`,
        [window.since, window.until, window.now, BROADCAST],
      ),
    );
    return rows.map((row) => ({
      agentId: row.agent_id,
      sent: row.sent,
      received: row.received,
      memories: row.memories,
    }));
  }

  /** Busiest (sender, recipient) pairs, a broadcast being one message to 'broadcast'. */
  async topPairs(window: Window, top: number): Promise<PairActivity[]> {
    const rows: { from_agent: string; to_agent: string; count: number; last_at: Date }[] = await postgres(
      this.messages.query(
        `SELECT from_agent, to_agent, count(*)::int AS count, max(created_at) AS last_at FROM messages
         WHERE created_at >= $1 AND created_at < $2
         GROUP BY from_agent, to_agent
         ORDER BY count DESC, last_at DESC, from_agent, to_agent LIMIT $3`,
        [window.since, window.until, top],
      ),
    );
    return rows.map((row) => ({
      from: row.from_agent,
      to: row.to_agent,
      count: row.count,
      lastAt: row.last_at.toISOString(),
    }));
  }

  /** Types of messages and of shared live memories (private records' types are theirs alone). */
  async topTypes(window: Window, top: number): Promise<{ type: string; count: number }[]> {
    return postgres(
      this.messages.query(
        `SELECT type, count(*)::int AS count FROM (
           SELECT type FROM messages WHERE created_at >= $1 AND created_at < $2 AND type IS NOT NULL
           UNION ALL
           SELECT type FROM memories
           WHERE created_at >= $1 AND created_at < $2 AND type IS NOT NULL AND visibility = 'shared'
             AND (expires_at IS NULL OR expires_at > $3)
         ) typed
         GROUP BY type ORDER BY count DESC, type LIMIT $4`,
        [window.since, window.until, window.now, top],
      ),
    );
  }

  /** Tags of shared live memories. */
  async topTags(window: Window, top: number): Promise<{ tag: string; count: number }[]> {
    return postgres(
      this.messages.query(
        `SELECT tag, count(*)::int AS count FROM memories, unnest(tags) AS tag
         WHERE created_at >= $1 AND created_at < $2 AND visibility = 'shared'
           AND (expires_at IS NULL OR expires_at > $3)
         GROUP BY tag ORDER BY count DESC, tag LIMIT $4`,
        [window.since, window.until, window.now, top],
      ),
    );
  }
}
