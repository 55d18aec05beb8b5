import { Injectable } from '@nestjs/common';
import { PRIORITIES, Priority } from '../common/ids';
import { AgentStats } from './context-message';
import { AgentRegistryRepository } from './agent-registry.repository';
import { broadcastMailbox, directMailbox, Mailbox } from './mailbox-address';
import { MailboxCountersRepository } from './mailbox-counters.repository';

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
  constructor(
    private readonly agents: AgentRegistryRepository,
    private readonly counters: MailboxCountersRepository,
  ) {}

  async listAgentStats(): Promise<AgentStats[]> {
    const agents = await this.agents.listAgentIds();
    return Promise.all(agents.map((agentId) => this.agentStats(agentId)));
  }

  async agentStats(agentId: string): Promise<AgentStats> {
    const [direct, broadcast] = await Promise.all([
      this.mailboxState(directMailbox(agentId)),
      this.mailboxState(broadcastMailbox(agentId)),
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
    const agents = await this.agents.listAgentIds();
    const [broadcasts, perAgent] = await Promise.all([
      this.counters.broadcastsAppended(),
      Promise.all(
        agents.map(async (agentId) => {
          const [direct, broadcast] = await Promise.all([
            this.counters.totals(directMailbox(agentId)),
            this.counters.totals(broadcastMailbox(agentId)),
          ]);
          return { added: direct.appended, acked: direct.acked + broadcast.acked };
        }),
      ),
    ]);
    return {
      published: broadcasts + perAgent.reduce((total, agent) => total + agent.added, 0),
      acknowledged: perAgent.reduce((total, agent) => total + agent.acked, 0),
    };
  }

  /**
   * Pending per priority of one recipient in one mailbox: entries appended minus entries its group has read, plus
   * those read but unacknowledged, minus those acknowledged before they were read (`early:<p>`). Mailboxes from
   * before `early:<p>` was kept have only the total `early`; what it does not explain is taken off in delivery
   * order, critical first, so the total is always exact.
   */
  private async mailboxState(mailbox: Mailbox): Promise<{ pending: number[]; acked: number; dead: number }> {
    const counters = await this.counters.readCounters(mailbox);
    const earlyOf = counters.earlyByPriority;
    let unexplained = counters.early - earlyOf.reduce((total, value) => total + value, 0);
    const pending = PRIORITIES.map((_, p) => {
      const raw = counters.added[p] - counters.read[p] + counters.held[p] - earlyOf[p];
      const legacy = Math.min(Math.max(0, raw), Math.max(0, unexplained));
      unexplained -= legacy;
      return Math.max(0, raw - legacy);
    });
    return { pending, acked: counters.acked, dead: counters.dead };
  }
}
