import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { DependencyUnavailableError } from '../common/errors';
import { PRIORITIES } from '../common/ids';
import { MemoryService } from '../memory/memory.service';
import { AgentRegistryRepository } from './agent-registry.repository';
import { ARCHIVE_PROGRESS, type ArchiveProgress } from './archive.metrics';
import { ArchivedMessage } from './context-message';
import { StreamOwner } from './mailbox-address';
import { ArchiveBatch } from './mailbox.replies';
import { priorityAt, priorityIndex, toArchivedMessage, toContextMessage } from './message-codec';
import { StreamArchiveRepository } from './stream-archive.repository';
import { StreamTrimmerService } from './stream-trimmer.service';

/** What one pass over one owner's streams did: entries stored, and whether a full batch says more is waiting. */
interface PassResult {
  stored: number;
  backlogged: boolean;
}

/** What a pass over several owners did: entries stored, and the owners that had more than a batch waiting. */
interface SweepResult {
  stored: number;
  backlogged: StreamOwner[];
}

// Entries a crashed replica read but never stored are taken over after this long. A live replica whose insert
// takes longer loses nothing either: the entries are inserted twice and stored once (ON CONFLICT DO NOTHING).
const STALE_CLAIM_MS = 10_000;
const MAX_BACKOFF_MS = 5_000;
const LAG_MEASURE_EVERY_MS = 5_000;
const INSERT_SLICE = 100;
const IDLE_MAX_MS = 1_000;
const IDLE_TRACKED_MAX = 100_000;

/**
 * Every message reaches Postgres through here, never through the request: a consumer group `archive` on every
 * stream, read in batches by every replica (sharing the work), inserted with ON CONFLICT DO NOTHING, then XACKed.
 * While Postgres is down the entries wait in Redis and the loop backs off; when it returns, it catches up.
 * After storing a batch it has the trimmer keep the streams within BRAIN_STREAM_MAXLEN.
 * Its loop runs here with BRAIN_ARCHIVER=inline; by default it runs in the archive thread (archive-thread.ts),
 * whose own instance of this service reports through ARCHIVE_PROGRESS. drainAgent and archiveOnce run wherever
 * they are called.
 */
@Injectable()
export class ArchiverService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Archiver');
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private closing = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private failures = 0;
  private lastStaleClaim = 0;
  /** After a failed insert, this replica's own unacknowledged reads are retried before new ones. */
  private retryOwn = false;
  private lagMeasuredAt = 0;
  private lastFullPass = 0;
  /** Mailboxes that had nothing to archive lately: how many passes in a row, and when to look again. */
  private readonly idle = new Map<StreamOwner, { streak: number; until: number }>();
  /** Mailboxes whose last lag measure found something unarchived: only they can hold stale reads to take over. */
  private unarchived: Set<StreamOwner> | undefined;

  constructor(
    private readonly streams: StreamArchiveRepository,
    private readonly agents: AgentRegistryRepository,
    private readonly trimmer: StreamTrimmerService,
    private readonly memory: MemoryService,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    @Inject(ARCHIVE_PROGRESS) private readonly progress: ArchiveProgress,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.archive.mode === 'inline') this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.wakeUp?.();
    await this.loop;
  }

  /** Measures the backlog of the archive group on every stream (cheap: XINFO GROUPS per stream, no scans). */
  async measureLag(): Promise<number> {
    const owners = await this.agents.streamOwners();
    const backlogs = await Promise.all(owners.map((owner) => this.streams.archiveBacklog(owner)));
    const lag = backlogs.reduce((total, n) => total + n, 0);
    this.unarchived = new Set(owners.filter((_, i) => backlogs[i] > 0));
    this.lagMeasuredAt = Date.now();
    this.progress.lagMeasured(lag);
    return lag;
  }

  private async run(): Promise<void> {
    let backlogged: StreamOwner[] = [];
    while (!this.closing) {
      try {
        if (Date.now() - this.lagMeasuredAt > LAG_MEASURE_EVERY_MS) await this.measureLag();
        // While some mailboxes have more than a batch waiting, go straight on with just those; every other
        // mailbox is still looked at once per interval. (A pass over every agent for each batch of one busy
        // mailbox made the archiver's cost grow with the number of registered agents.)
        const full =
          backlogged.length === 0 || Date.now() - this.lastFullPass >= this.config.archive.intervalMs;
        backlogged = (await this.archivePass(full ? undefined : backlogged)).backlogged;
        if (this.failures > 0)
          this.logger.log(`Archive is working again after ${this.failures} failed attempts`);
        this.failures = 0;
      } catch (error) {
        backlogged = [];
        this.failures += 1;
        this.progress.failed();
        this.retryOwn = true;
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.logger.warn(
            `Archive attempt failed (${(error as Error).message}); entries wait in Redis, retrying with backoff`,
          );
        }
      }
      // Straight on only while a mailbox had more than one batch waiting; otherwise poll at the interval, so a
      // steady trickle costs one pass per interval, not a busy loop over every agent.
      if (backlogged.length === 0 || this.failures > 0) await this.pause(this.delay());
    }
  }

  private delay(): number {
    if (this.failures === 0) return this.config.archive.intervalMs;
    return Math.min(MAX_BACKOFF_MS, this.config.archive.intervalMs * 2 ** Math.min(this.failures, 8));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** One pass over every mailbox. Returns how many entries were stored. */
  async archiveOnce(): Promise<number> {
    return (await this.archivePass(undefined, false)).stored;
  }

  /**
   * One pass over the given owners, or over every mailbox (and taking over stale reads now and then). In the loop,
   * a mailbox that had nothing new is looked at again after a growing pause (up to IDLE_MAX_MS), so a thousand
   * idle agents do not cost two reads each per interval. Stale reads are taken over (every few seconds) in the
   * mailboxes the last lag measure found something unarchived in.
   */
  private async archivePass(only?: StreamOwner[], skipIdle = true): Promise<SweepResult> {
    const now = Date.now();
    const all = only ?? (await this.agents.streamOwners());
    const claimStale = only === undefined && now - this.lastStaleClaim > STALE_CLAIM_MS / 3;
    if (claimStale) this.lastStaleClaim = now;
    if (only === undefined) this.lastFullPass = now;
    const fromStart = this.retryOwn;
    // After a failed insert, every mailbox is read again from this replica's own unacknowledged reads.
    const everyOne = !skipIdle || fromStart;
    const unarchived = (owner: StreamOwner) => everyOne || !this.unarchived || this.unarchived.has(owner);
    const owners =
      only || everyOne
        ? all
        : all.filter(
            (owner) => (this.idle.get(owner)?.until ?? 0) <= now || (claimStale && unarchived(owner)),
          );
    const results = await Promise.all(
      owners.map((owner) => this.archiveOwner(owner, claimStale && unarchived(owner), fromStart)),
    );
    this.retryOwn = false;
    if (this.idle.size > IDLE_TRACKED_MAX) this.idle.clear();
    owners.forEach((owner, i) => {
      if (results[i].stored > 0) {
        this.idle.delete(owner);
      } else {
        const streak = (this.idle.get(owner)?.streak ?? 0) + 1;
        const pauseMs = Math.min(IDLE_MAX_MS, this.config.archive.intervalMs * 2 ** Math.min(streak, 8));
        this.idle.set(owner, { streak, until: now + pauseMs });
      }
    });
    const stored = results.reduce((total, result) => total + result.stored, 0);
    this.progress.stored(stored);
    return { stored, backlogged: owners.filter((_, i) => results[i].backlogged) };
  }

  /** Stores everything of one agent's mailbox, including what other replicas hold; used before deleting it. */
  async drainAgent(agentId: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.archiveOwner(agentId, true, true, 0);
        if ((await this.streams.archiveBacklog(agentId)) === 0) return;
      } catch (error) {
        if (Date.now() > deadline) throw new DependencyUnavailableError('postgres', error);
      }
      if (Date.now() > deadline) throw new DependencyUnavailableError('postgres');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async archiveOwner(
    owner: StreamOwner,
    claimStale: boolean,
    fromStart: boolean,
    staleMs = STALE_CLAIM_MS,
  ): Promise<PassResult> {
    const batch = this.config.archive.batchSize;
    const read = await this.streams.readForArchive(owner, this.consumer, batch, fromStart);
    const backlogged = read.some(({ entries }) => entries.length >= batch);
    const byPriority = new Map<number, ArchiveBatch>(read.map((b) => [priorityIndex(b.priority), b]));
    if (claimStale) {
      for (const p of PRIORITIES.keys()) {
        const stale = await this.streams.claimStaleForArchive(owner, p, this.consumer, staleMs, batch);
        if (stale.length > 0) {
          const entries = [...(byPriority.get(p)?.entries ?? []), ...stale];
          byPriority.set(p, { priority: priorityAt(p), entries });
        }
      }
    }
    const stored = [...byPriority.values()].flatMap(({ priority, entries }) =>
      entries.map((entry) => ({ priority, ...entry })),
    );
    if (stored.length > 0) {
      // In slices, yielding between them: one long synchronous stretch (parsing, escaping hundreds of payloads)
      // would stall every request this process is serving.
      for (let start = 0; start < stored.length; start += INSERT_SLICE) {
        if (start > 0) await new Promise((resolve) => setImmediate(resolve));
        const slice: ArchivedMessage[] = stored
          .slice(start, start + INSERT_SLICE)
          .map(({ priority, fields, streamId }) => ({
            ...toArchivedMessage(toContextMessage(fields, priority, owner, 0)),
            streamId,
          }));
        await this.memory.archiveMessages(slice);
      }
      await Promise.all(
        [...byPriority].map(([p, { entries }]) =>
          this.streams.ackArchived(
            owner,
            p,
            entries.map(({ streamId }) => streamId),
          ),
        ),
      );
      await this.trimmer.trimToLength(owner, [...byPriority.keys()]);
    }
    const acks = await this.archiveAcks(owner, fromStart);
    return { stored: stored.length + acks.stored, backlogged: backlogged || acks.backlogged };
  }

  private async archiveAcks(owner: StreamOwner, fromStart: boolean): Promise<PassResult> {
    const batch = this.config.archive.batchSize;
    const entries = await this.streams.readAckLog(owner, this.consumer, batch, fromStart);
    if (entries.length === 0) return { stored: 0, backlogged: false };
    await this.memory.archiveAcks(
      entries.map(({ messageId, agentId, acknowledgedAt }) => ({ messageId, agentId, acknowledgedAt })),
    );
    await this.streams.deleteAckLogEntries(
      owner,
      entries.map(({ entryId }) => entryId),
    );
    return { stored: entries.length, backlogged: entries.length >= batch };
  }
}
