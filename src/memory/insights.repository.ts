import { Injectable } from '@nestjs/common';
import { BROADCAST } from '../common/ids';
import { AgentActivity, PairActivity } from './memory-record';
import { MemoryReads } from './memory-reads';
import { SqlParams } from './record-rows';

/** A half-open time window [since, until) and the instant that decides which memories have expired. */
export interface Window {
  since: Date;
  until: Date;
  now: Date;
}

/**
 * Whose view the aggregates are computed for: everything (the admin), or what one agent may see: the messages it
 * sent, the direct messages to it and broadcasts since it registered, shared memories and its own private ones.
 */
export type InsightsScope = { all: true } | { agentId: string; since: Date | null };

/**
 * Aggregates over a time window, computed by Postgres (range scans on messages_created_idx and
 * memories_created_idx) on the memory-read pool. SQL only; which records count is documented on the Insights type.
 */
@Injectable()
export class InsightsRepository {
  constructor(private readonly reads: MemoryReads) {}

  async agentActivity(window: Window, scope: InsightsScope): Promise<AgentActivity[]> {
    const params = new SqlParams();
    const broadcast = params.add(BROADCAST);
    const rows = await this.reads.query<{
      agent_id: string;
      sent: number;
      received: number;
      memories: number;
    }>(
      `WITH windowed AS (SELECT from_agent, to_agent FROM messages WHERE ${visibleMessages(params, window, scope)}),
       sent AS (SELECT from_agent AS agent_id, count(*) AS n FROM windowed GROUP BY from_agent),
       received AS (
         SELECT to_agent AS agent_id, count(*) AS n FROM windowed WHERE to_agent <> ${broadcast} GROUP BY to_agent),
       stored AS (
         SELECT agent_id, count(*) AS n FROM memories WHERE ${visibleMemories(params, window, scope, true)}
         GROUP BY agent_id)
       SELECT agent_id, coalesce(sent.n, 0)::int AS sent, coalesce(received.n, 0)::int AS received,
              coalesce(stored.n, 0)::int AS memories
       FROM sent FULL JOIN received USING (agent_id) FULL JOIN stored USING (agent_id)
       ORDER BY agent_id`,
      params.values,
    );
    return rows.map((row) => ({
      agentId: row.agent_id,
      sent: row.sent,
      received: row.received,
      memories: row.memories,
    }));
  }

  /** Busiest (sender, recipient) pairs, a broadcast being one message to 'broadcast'. */
  async topPairs(window: Window, scope: InsightsScope, top: number): Promise<PairActivity[]> {
    const params = new SqlParams();
    const rows = await this.reads.query<{
      from_agent: string;
      to_agent: string;
      count: number;
      last_at: Date;
    }>(
      `SELECT from_agent, to_agent, count(*)::int AS count, max(created_at) AS last_at FROM messages
       WHERE ${visibleMessages(params, window, scope)}
       GROUP BY from_agent, to_agent
       ORDER BY count DESC, last_at DESC, from_agent, to_agent LIMIT ${params.add(top)}`,
      params.values,
    );
    return rows.map((row) => ({
      from: row.from_agent,
      to: row.to_agent,
      count: row.count,
      lastAt: row.last_at.toISOString(),
    }));
  }

  /** Types of messages and of shared live memories (private records' types are theirs alone). */
  async topTypes(
    window: Window,
    scope: InsightsScope,
    top: number,
  ): Promise<{ type: string; count: number }[]> {
    const params = new SqlParams();
    return this.reads.query(
      `SELECT type, count(*)::int AS count FROM (
         SELECT type FROM messages WHERE ${visibleMessages(params, window, scope)} AND type IS NOT NULL
         UNION ALL
         SELECT type FROM memories WHERE ${visibleMemories(params, window, scope, false)} AND type IS NOT NULL
       ) typed
       GROUP BY type ORDER BY count DESC, type LIMIT ${params.add(top)}`,
      params.values,
    );
  }

  /** Tags of shared live memories. */
  async topTags(
    window: Window,
    scope: InsightsScope,
    top: number,
  ): Promise<{ tag: string; count: number }[]> {
    const params = new SqlParams();
    return this.reads.query(
      `SELECT tag, count(*)::int AS count FROM memories, unnest(tags) AS tag
       WHERE ${visibleMemories(params, window, scope, false)}
       GROUP BY tag ORDER BY count DESC, tag LIMIT ${params.add(top)}`,
      params.values,
    );
  }
}

function inWindow(params: SqlParams, window: Window): string {
  return `created_at >= ${params.add(window.since)} AND created_at < ${params.add(window.until)}`;
}

function visibleMessages(params: SqlParams, window: Window, scope: InsightsScope): string {
  if ('all' in scope) return inWindow(params, window);
  const agent = params.add(scope.agentId);
  const since = scope.since ? `AND created_at >= ${params.add(scope.since)}` : '';
  return `${inWindow(params, window)} ${since}
    AND (from_agent = ${agent} OR to_agent = ${agent} OR to_agent = ${params.add(BROADCAST)})`;
}

/**
 * Live memories in the window: shared ones, and (when `withOwnPrivate`) the private ones the scope may count. An
 * agent counts only records of their owner's current incarnation, as it would list them.
 */
function visibleMemories(
  params: SqlParams,
  window: Window,
  scope: InsightsScope,
  withOwnPrivate: boolean,
): string {
  const live = `${inWindow(params, window)} AND (expires_at IS NULL OR expires_at > ${params.add(window.now)})`;
  if ('all' in scope) return withOwnPrivate ? live : `${live} AND visibility = 'shared'`;
  const own = withOwnPrivate ? ` OR agent_id = ${params.add(scope.agentId)}` : '';
  return `${live} AND (visibility = 'shared'${own})
    AND NOT EXISTS (SELECT 1 FROM agents WHERE agents.id = memories.agent_id AND agents.created_at > memories.created_at)`;
}
