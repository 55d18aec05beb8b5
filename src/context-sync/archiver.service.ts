import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { DependencyUnavailableError } from '../common/errors';
import { MemoryService } from '../memory/memory.service';
import { MetricsService } from '../metrics/metrics.service';
import { ArchivedAck, ArchivedMessage, BROADCAST, Priority } from './context-message';
import { MailboxKeys } from '../infrastructure/redis/keys';
import { MailboxRepository, StreamEntry } from './mailbox.repository';
import { fieldsOf, priorityAt, toArchivedMessage, toContextMessage } from './message-codec';

/** A mailbox's streams as the archiver sees them: whose they are, and their ack log. */
interface ArchiveSource {
  owner: string;
  streams: string[];
  ackLog: string;
  /** The mailboxes of the streams' recipients (whose pending entries a length trim keeps). */
  recipients: () => Promise<MailboxKeys[]>;
  ids: string;
}

// Entries a crashed replica read but never stored are taken over after this long. A live replica whose insert
// takes longer loses nothing either: the entries are inserted twice and stored once (ON CONFLICT DO NOTHING).
const STALE_CLAIM_MS = 10_000;
const MAX_BACKOFF_MS = 5_000;
const LAG_MEASURE_EVERY_MS = 5_000;
const TRIM_RETRY_MS = 5_000;
const INSERT_SLICE = 100;

/**
 * Every message reaches Postgres through here, never through the request: a consumer group `archive` on every
 * stream, read in batches by every replica (sharing the work), inserted with ON CONFLICT DO NOTHING, then XACKed.
 * While Postgres is down the entries wait in Redis and the loop backs off; when it returns, it catches up.
 * After archiving it trims streams beyond BRAIN_STREAM_MAXLEN — only what the archive has stored.
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
  private lag: number | undefined;
  private lagMeasuredAt = 0;
  private readonly nextTrim = new Map<string, number>();
  /** Some mailbox had a full batch in the last pass: more is waiting. */
  private backlogged = false;
  private readonly archived;
  private readonly failedAttempts;

  constructor(
    private readonly mailboxes: MailboxRepository,
    private readonly memory: MemoryService,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    metrics: MetricsService,
  ) {
    this.archived = metrics.counter(
      'brain_archive_entries_total',
      'Messages and acknowledgements stored in Postgres',
    );
    this.failedAttempts = metrics.counter(
      'brain_archive_failures_total',
      'Archive passes that failed (entries wait in Redis)',
    );
    metrics.registerGauge(
      'brain_archive_lag',
      'Stream entries not yet stored in Postgres (measured every 5 s)',
      () => this.lag ?? NaN,
    );
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.wakeUp?.();
    await this.loop;
  }

  /** Entries not yet stored in Postgres, as last measured (every few seconds); undefined before the first measure. */
  get lastKnownLag(): number | undefined {
    return this.lag;
  }

  /** Measures the backlog of the archive group on every stream (cheap: XINFO GROUPS per stream, no scans). */
  async measureLag(): Promise<number> {
    const sources = await this.sources();
    const backlogs = await Promise.all(
      sources.flatMap((source) => source.streams.map((stream) => this.mailboxes.archiveBacklog(stream))),
    );
    this.lag = backlogs.reduce((total, n) => total + n, 0);
    this.lagMeasuredAt = Date.now();
    return this.lag;
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      try {
        if (Date.now() - this.lagMeasuredAt > LAG_MEASURE_EVERY_MS) await this.measureLag();
        await this.archiveOnce();
        if (this.failures > 0)
          this.logger.log(`Archive is working again after ${this.failures} failed attempts`);
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        this.failedAttempts.inc();
        this.retryOwn = true;
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.logger.warn(
            `Archive attempt failed (${(error as Error).message}); entries wait in Redis, retrying with backoff`,
          );
        }
      }
      // Straight on only while a mailbox had more than one batch waiting; otherwise poll at the interval, so a
      // steady trickle costs one pass per interval, not a busy loop over every agent.
      if (!this.backlogged || this.failures > 0) await this.pause(this.delay());
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
    const sources = await this.sources();
    const claimStale = Date.now() - this.lastStaleClaim > STALE_CLAIM_MS / 3;
    if (claimStale) this.lastStaleClaim = Date.now();
    const fromStart = this.retryOwn;
    this.backlogged = false;
    const results = await Promise.all(
      sources.map((source) => this.archiveSource(source, claimStale, fromStart)),
    );
    this.retryOwn = false;
    const stored = results.reduce((total, n) => total + n, 0);
    this.archived.inc(stored);
    return stored;
  }

  /** Stores everything of one agent's mailbox, including what other replicas hold; used before deleting it. */
  async drainAgent(agentId: string, timeoutMs = 10_000): Promise<void> {
    const source = this.agentSource(agentId);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.archiveSource(source, true, true, 0);
        const backlog = await Promise.all(
          source.streams.map((stream) => this.mailboxes.archiveBacklog(stream)),
        );
        if (backlog.every((n) => n === 0)) return;
      } catch (error) {
        if (Date.now() > deadline) throw new DependencyUnavailableError('postgres', error);
      }
      if (Date.now() > deadline) throw new DependencyUnavailableError('postgres');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Trims every stream by age (entries before `olderThanId`), never beyond what the archive stored. */
  async trimAll(olderThanId: string): Promise<number> {
    let removed = 0;
    const limits = { maxLength: this.config.messages.streamMaxLen, olderThanId, batch: 1000 };
    for (const source of await this.sources()) {
      const recipients = await source.recipients();
      for (const [p, stream] of source.streams.entries()) {
        for (;;) {
          const n = await this.mailboxes.trim(stream, source.ids, p, recipients, limits);
          removed += n;
          if (n < limits.batch) break;
        }
      }
    }
    return removed;
  }

  private async sources(): Promise<ArchiveSource[]> {
    const agents = await this.mailboxes.listAgentIds();
    const sources = agents.map((agentId) => this.agentSource(agentId));
    if (agents.length > 0) {
      const keys = this.mailboxes.keys;
      sources.push({
        owner: BROADCAST,
        streams: keys.broadcastStreams(),
        ackLog: keys.broadcastAckLog(),
        ids: keys.broadcastIds(),
        recipients: async () =>
          [...(await this.mailboxes.broadcastMembers()).keys()].map((member) =>
            keys.broadcastMailbox(member),
          ),
      });
    }
    return sources;
  }

  private agentSource(agentId: string): ArchiveSource {
    const mailbox = this.mailboxes.keys.agentMailbox(agentId);
    return {
      owner: agentId,
      streams: mailbox.streams,
      ackLog: mailbox.ackLog,
      ids: mailbox.ids,
      recipients: () => Promise.resolve([mailbox]),
    };
  }

  private async archiveSource(
    source: ArchiveSource,
    claimStale: boolean,
    fromStart: boolean,
    staleMs = STALE_CLAIM_MS,
  ): Promise<number> {
    const batch = this.config.archive.batchSize;
    const read = await this.mailboxes.readForArchive(source.streams, this.consumer, batch, fromStart);
    const byStream = new Map<string, StreamEntry[]>(read);
    if (read.some(([, entries]) => entries.length >= batch)) this.backlogged = true;
    if (claimStale) {
      for (const stream of source.streams) {
        const stale = await this.mailboxes.claimStaleForArchive(stream, this.consumer, staleMs, batch);
        if (stale.length > 0) byStream.set(stream, [...(byStream.get(stream) ?? []), ...stale]);
      }
    }
    const stored: { priority: Priority; flat: string[]; streamId: string }[] = [];
    for (const [stream, entries] of byStream) {
      const priority = priorityAt(source.streams.indexOf(stream));
      for (const [streamId, flat] of entries) stored.push({ priority, flat, streamId });
    }
    if (stored.length > 0) {
      // In slices, yielding between them: one long synchronous stretch (parsing, escaping hundreds of payloads)
      // would stall every request this process is serving.
      for (let start = 0; start < stored.length; start += INSERT_SLICE) {
        if (start > 0) await new Promise((resolve) => setImmediate(resolve));
        const slice: ArchivedMessage[] = stored
          .slice(start, start + INSERT_SLICE)
          .map(({ priority, flat, streamId }) => ({
            ...toArchivedMessage(toContextMessage(fieldsOf(flat), priority, source.owner, 0)),
            streamId,
          }));
        await this.memory.archiveMessages(slice);
      }
      await Promise.all(
        [...byStream].map(([stream, entries]) =>
          this.mailboxes.ackArchived(
            stream,
            entries.map(([id]) => id),
          ),
        ),
      );
      await this.trimToLength(source, [...byStream.keys()]);
    }
    return stored.length + (await this.archiveAcks(source, fromStart));
  }

  private async archiveAcks(source: ArchiveSource, fromStart: boolean): Promise<number> {
    const read = await this.mailboxes.readForArchive(
      [source.ackLog],
      this.consumer,
      this.config.archive.batchSize,
      fromStart,
    );
    const entries = read.flatMap(([, list]) => list);
    if (entries.length === 0) return 0;
    if (entries.length >= this.config.archive.batchSize) this.backlogged = true;
    const acks: ArchivedAck[] = entries.map(([, flat]) => {
      const fields = fieldsOf(flat);
      return { messageId: fields.m, agentId: fields.a, acknowledgedAt: new Date(Number(fields.at)) };
    });
    await this.memory.archiveAcks(acks);
    await this.mailboxes.deleteAckLogEntries(
      source.ackLog,
      entries.map(([id]) => id),
    );
    return entries.length;
  }

  private async trimToLength(source: ArchiveSource, streams: string[]): Promise<void> {
    const maxLength = this.config.messages.streamMaxLen;
    const lengths = await Promise.all(streams.map((stream) => this.mailboxes.streamLength(stream)));
    // Approximate like MAXLEN ~: trim once a stream is 10 % over, so trimming is not paid on every batch.
    // A stream kept long by a recipient that lags (its pending entries stay) is looked at again after a while only.
    const now = Date.now();
    const over = streams.filter(
      (stream, i) => lengths[i] > maxLength * 1.1 && (this.nextTrim.get(stream) ?? 0) <= now,
    );
    if (over.length === 0) return;
    const recipients = await source.recipients();
    for (const stream of over) {
      this.nextTrim.set(stream, now + TRIM_RETRY_MS);
      const limits = { maxLength, olderThanId: '0-0', batch: 10_000 };
      const removed = await this.mailboxes.trim(
        stream,
        source.ids,
        source.streams.indexOf(stream),
        recipients,
        limits,
      );
      if (removed > 0) this.nextTrim.delete(stream);
    }
  }
}
