import { Inject, Injectable } from '@nestjs/common';
import { BROADCAST } from '../common/ids';
import { AGENT_REGISTRATIONS, type AgentRegistrations } from './agent-registrations';
import { Position } from './cursor';
import { liveAt } from './memories.repository';
import { MemoryReads } from './memory-reads';
import { MEMORY_COLUMNS, MESSAGE_COLUMNS, NEWEST_FIRST, RecordRow, SqlParams } from './record-rows';

/** An agent's timeline: its memories and its messages, read from both tables in one statement. SQL only. */
@Injectable()
export class HistoryRepository {
  constructor(
    private readonly reads: MemoryReads,
    @Inject(AGENT_REGISTRATIONS) private readonly registrations: AgentRegistrations,
  ) {}

  /**
   * Newest first, `limit` rows after `after`, cut at `maxBytes` of JSON: the agent's live memories (private ones
   * too), the messages it sent, the direct messages it received, and broadcasts by others from its registration on
   * (none when it is not registered); only records from its registration on when `sinceRegistration` (one
   * incarnation of a re-registered id; all of them when it is not registered).
   * The registration date is read in the same statement (one round trip), and the statement is prepared: its text
   * depends only on which clauses are present. Each branch is one ordered index scan that stops after `limit` rows;
   * the branches are disjoint.
   */
  async findHistory(
    agentId: string,
    range: { sinceRegistration: boolean; now: Date },
    after: Position | null,
    limit: number,
    maxBytes: number,
  ): Promise<RecordRow[]> {
    const params = new SqlParams();
    const [agent, max] = [params.add(agentId), params.add(limit)];
    const registered = this.registrations.registeredAtSql(agent);
    const since = range.sinceRegistration ? `AND created_at >= coalesce(${registered}, '-infinity')` : '';
    const keyset = `${since} ${params.olderThan(after)}`;
    const branches = [
      `SELECT ${MEMORY_COLUMNS} FROM memories WHERE agent_id = ${agent} AND ${liveAt(params, range.now)} ${keyset}`,
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE from_agent = ${agent} ${keyset}`,
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE to_agent = ${agent} AND from_agent <> ${agent} ${keyset}`,
      // NULL (not registered) matches nothing.
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE to_agent = ${params.add(BROADCAST)}
       AND from_agent <> ${agent} AND created_at >= ${registered} ${keyset}`,
    ];
    const ordered = `SELECT * FROM (${branches.map((branch) => `(${branch} ${NEWEST_FIRST} LIMIT ${max})`).join(' UNION ALL ')})
      history ${NEWEST_FIRST} LIMIT ${max}`;
    return this.reads.query<RecordRow>(params.withinBytes(ordered, maxBytes), params.values, {
      prepared: true,
    });
  }
}
