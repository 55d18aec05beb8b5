import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { AgentRegistryRepository } from './agent-registry.repository';
import { BROADCAST, ContextSyncStats } from './context-message';
import { AgentBacklog, ContextSyncMetrics } from './context-sync.metrics';
import { broadcastMailbox, directMailbox, Mailbox } from './mailbox-address';
import { MailboxCountersRepository } from './mailbox-counters.repository';
import { StreamArchiveRepository } from './stream-archive.repository';
import { StreamTrimmerService } from './stream-trimmer.service';

/** Operations over every mailbox: the stats, the hourly retention, clearing everything. */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ContextSync');

  constructor(
    private readonly agents: AgentRegistryRepository,
    private readonly counters: MailboxCountersRepository,
    private readonly streams: StreamArchiveRepository,
    private readonly trimmer: StreamTrimmerService,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    syncMetrics: ContextSyncMetrics,
  ) {
    syncMetrics.measureBacklogWith(() => this.backlogByAgent());
  }

  /**
   * Awaited before the app serves: a direct mailbox's resolutions used to live in an acked hash of their own; they are
   * now the third word of the ids values, so data from before the change is folded in first (each agent once, atomically;
   * idempotent, so every replica and worker may run it). Redis down at start: the next start does it.
   */
  async onApplicationBootstrap(): Promise<void> {
    try {
      let moved = 0;
      for (const agentId of await this.agents.listAgentIds())
        moved += await this.agents.foldFormerAcked(agentId);
      if (moved > 0) this.logger.log(`${moved} direct resolution(s) folded into the ids index`);
    } catch (error) {
      this.logger.warn(`direct resolutions not folded into the ids index: ${(error as Error).message}`);
    }
  }

  async getStats(): Promise<ContextSyncStats> {
    const agents = await this.agents.listAgentIds();
    const perAgent = await Promise.all(
      agents.map(async (agentId) => {
        const [entries, directState, broadcastState, backlog] = await Promise.all([
          this.streams.totalLength(agentId),
          this.mailboxState(directMailbox(agentId)),
          this.mailboxState(broadcastMailbox(agentId)),
          this.streams.archiveBacklog(agentId),
        ]);
        return {
          agentId,
          entries,
          pending: directState.pending + broadcastState.pending,
          acked: directState.acked + broadcastState.acked,
          dead: directState.dead + broadcastState.dead,
          backlog,
        };
      }),
    );
    const [broadcastLength, broadcastBacklog] = await Promise.all([
      this.streams.totalLength(BROADCAST),
      this.streams.archiveBacklog(BROADCAST),
    ]);
    return {
      totalMessages: sum(perAgent.map((a) => a.entries)) + broadcastLength,
      pendingMessages: sum(perAgent.map((a) => a.pending)),
      acknowledgedMessages: sum(perAgent.map((a) => a.acked)),
      deadLetters: sum(perAgent.map((a) => a.dead)),
      streamsByAgent: Object.fromEntries(perAgent.map((a) => [a.agentId, a.entries])),
      archiveLag: sum(perAgent.map((a) => a.backlog)) + broadcastBacklog,
    };
  }

  /**
   * The hourly retention work: trims stream entries older than the retention (never unarchived ones) and drops
   * consumers idle for longer than the retention that hold nothing. Idempotent. Returns entries removed.
   */
  async cleanupOldMessages(now = Date.now()): Promise<number> {
    const retentionMs = this.config.messages.retentionMs;
    const removed = await this.trimmer.trimAll(`${Math.max(0, now - retentionMs)}-0`);
    for (const agentId of await this.agents.listAgentIds()) {
      await this.streams.pruneIdleConsumers(directMailbox(agentId), retentionMs);
      await this.streams.pruneIdleConsumers(broadcastMailbox(agentId), retentionMs);
      await this.streams.pruneIdleArchiveConsumers(agentId, retentionMs);
    }
    if (removed > 0)
      this.logger.log(`Retention: trimmed ${removed} stream entries older than ${retentionMs / 3_600_000} h`);
    return removed;
  }

  /** Removes every Redis key of Brain (this prefix) and nothing else. */
  async clear(): Promise<void> {
    const deleted = await this.agents.deleteEverything();
    this.logger.warn(`Cleared all ContextSync data (${deleted} Redis keys)`);
  }

  /** Pending and dead letters of every agent, from counters (no scan); the metrics read it at most every 5 s. */
  private async backlogByAgent(): Promise<AgentBacklog[]> {
    const agents = await this.agents.listAgentIds();
    return Promise.all(
      agents.map(async (agentId) => {
        const [direct, broadcast] = await Promise.all([
          this.mailboxState(directMailbox(agentId)),
          this.mailboxState(broadcastMailbox(agentId)),
        ]);
        return {
          agentId,
          pending: direct.pending + broadcast.pending,
          deadLetters: direct.dead + broadcast.dead,
        };
      }),
    );
  }

  /**
   * Pending for one recipient of one mailbox, from counters rather than a scan: entries appended minus entries its
   * group has read, plus those read but unacknowledged, minus those acknowledged before they were read.
   */
  private async mailboxState(mailbox: Mailbox): Promise<{ pending: number; acked: number; dead: number }> {
    const counters = await this.counters.readCounters(mailbox);
    let pending = -counters.early;
    counters.added.forEach((added, p) => {
      pending += added - counters.read[p] + counters.held[p];
    });
    return { pending: Math.max(0, pending), acked: counters.acked, dead: counters.dead };
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
