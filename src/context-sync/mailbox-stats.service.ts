import { Injectable } from '@nestjs/common';
import { PRIORITIES, Priority } from '../common/ids';
import { MailboxKeys } from '../infrastructure/redis/keys';
import { MailboxRepository } from './mailbox.repository';

/** One agent's figures for the dashboard, from counters (no stream scans). */
export interface AgentStats {
  agentId: string;
  /** Pending per priority, direct and broadcast together. */
  pending: Record<Priority, number>;
  pendingMessages: number;
  acknowledgedMessages: number;
  deadLetters: number;
}

/** Counters that only grow (until an agent or everything is deleted), summed over every registered agent. */
export interface ThroughputTotals {
  /** Messages ever appended: every direct message and every broadcast once. */
  published: number;
  /** Acknowledgements ever recorded, per recipient. */
  acknowledged: number;
}

/**
 * Read-only figures for operators, from the counters the Lua scripts keep: a handful of small hash reads per agent,
 * whatever the size of its streams.
 */
@Injectable()
export class MailboxStatsService {
  constructor(private readonly mailboxes: MailboxRepository) {}

  async listAgentStats(): Promise<AgentStats[]> {
    const agents = await this.mailboxes.listAgentIds();
    return Promise.all(agents.map((agentId) => this.agentStats(agentId)));
  }

  async agentStats(agentId: string): Promise<AgentStats> {
    const [direct, broadcast] = await Promise.all([
      this.mailboxState(this.mailboxes.keys.agentMailbox(agentId)),
      this.mailboxState(this.mailboxes.keys.broadcastMailbox(agentId)),
    ]);
    const pending = Object.fromEntries(
      PRIORITIES.map((priority, p) => [priority, direct.pending[p] + broadcast.pending[p]]),
    ) as Record<Priority, number>;
    return {
      agentId,
      pending,
      pendingMessages: PRIORITIES.reduce((total, priority) => total + pending[priority], 0),
      acknowledgedMessages: direct.acked + broadcast.acked,
      deadLetters: direct.dead + broadcast.dead,
    };
  }

  async throughputTotals(): Promise<ThroughputTotals> {
    const agents = await this.mailboxes.listAgentIds();
    const [broadcastStats, perAgent] = await Promise.all([
      this.mailboxes.hashAll(this.mailboxes.keys.broadcastStats()),
      Promise.all(
        agents.map(async (agentId) => {
          const [direct, broadcast] = await Promise.all([
            this.mailboxes.hashAll(this.mailboxes.keys.agentMailbox(agentId).counters),
            this.mailboxes.hashAll(this.mailboxes.keys.broadcastMailbox(agentId).counters),
          ]);
          return { added: addedOf(direct), acked: Number(direct.acked ?? 0) + Number(broadcast.acked ?? 0) };
        }),
      ),
    ]);
    return {
      published: addedOf(broadcastStats) + perAgent.reduce((total, agent) => total + agent.added, 0),
      acknowledged: perAgent.reduce((total, agent) => total + agent.acked, 0),
    };
  }

  /**
   * Pending per priority of one recipient in one mailbox: entries appended minus entries its group has read, plus
   * those read but unacknowledged, minus those acknowledged before they were read (`early:<p>`). Mailboxes from
   * before `early:<p>` was kept have only the total `early`; what it does not explain is taken off in delivery
   * order, critical first, so the total is always exact.
   */
  private async mailboxState(
    mailbox: MailboxKeys,
  ): Promise<{ pending: number[]; acked: number; dead: number }> {
    const [stats, cursor, counters, held] = await Promise.all([
      this.mailboxes.hashAll(mailbox.stats),
      this.mailboxes.hashAll(mailbox.cursor),
      this.mailboxes.hashAll(mailbox.counters),
      Promise.all(mailbox.streams.map((stream) => this.mailboxes.groupPendingCount(stream, mailbox.group))),
    ]);
    const earlyOf = PRIORITIES.map((_, p) => Number(cursor[`early:${p}`] ?? 0));
    let unexplained = Number(cursor.early ?? 0) - earlyOf.reduce((total, value) => total + value, 0);
    const pending = PRIORITIES.map((_, p) => {
      const raw = Number(stats[`added:${p}`] ?? 0) - Number(cursor[`r:${p}`] ?? 0) + held[p] - earlyOf[p];
      const legacy = Math.min(Math.max(0, raw), Math.max(0, unexplained));
      unexplained -= legacy;
      return Math.max(0, raw - legacy);
    });
    return { pending, acked: Number(counters.acked ?? 0), dead: Number(counters.dead ?? 0) };
  }
}

function addedOf(stats: Record<string, string>): number {
  return PRIORITIES.reduce((total, _, p) => total + Number(stats[`added:${p}`] ?? 0), 0);
}
