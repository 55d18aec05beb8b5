import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { ContextMessage, EVENT_BATCH, EventSink, EventStreamOptions } from './context-message';
import { InboxService } from './inbox.service';
import { LongPollService, Watch } from './long-poll.service';
import { WaiterSlot } from './waiter-slots';

/**
 * Push over Server-Sent Events: a long poll that never answers. Each stream holds one of the BRAIN_MAX_WAITERS
 * slots for its whole life and is woken by the replica's shared subscriber (no Redis connection of its own).
 * It reads at most EVENT_BATCH messages at a time and reads again only once the client took the previous ones, so a
 * client that stops reading costs one batch of memory, not a growing buffer.
 */
@Injectable()
export class EventStreamService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('EventStream');
  private readonly open = new Set<EventStream>();

  constructor(
    private readonly inbox: InboxService,
    private readonly longPoll: LongPollService,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  /**
   * Everything that can be refused before the response starts: an unknown agent (404) and no free waiter slot
   * (429 with Retry-After). Then `run` streams.
   */
  async start(agentId: string, options: EventStreamOptions): Promise<EventStream> {
    // Validates like the pending route and checks the agent exists, without waiting and without leasing anything.
    await this.inbox.getPendingMessages(agentId, { count: 1, priority: options.priority });
    const slot = this.longPoll.acquireSlot();
    try {
      const watch = await this.longPoll.watch(agentId);
      const stream = new EventStream(agentId, options, slot, watch, this, this.config.redis.eventKeepAliveMs);
      this.open.add(stream);
      return stream;
    } catch (error) {
      slot.release();
      throw error;
    }
  }

  /** Streams open on this replica now. */
  get streams(): number {
    return this.open.size;
  }

  /** Streams waiting for their client to take what was written (reading nothing more meanwhile). */
  get waitingForClients(): number {
    return [...this.open].filter((stream) => stream.waitingForClient).length;
  }

  /** Before the HTTP server closes: every stream ends now, telling its client to reconnect (to another replica). */
  beforeApplicationShutdown(): void {
    for (const stream of this.open) stream.stop();
  }

  /** @internal for EventStream */
  read(agentId: string, { consumer, priority }: EventStreamOptions): Promise<ContextMessage[]> {
    return this.inbox.getPendingMessages(agentId, { consumer, priority, count: EVENT_BATCH, waitMs: 0 });
  }

  /** @internal for EventStream */
  get closing(): boolean {
    return this.longPoll.isClosing;
  }

  /** @internal for EventStream */
  closed(stream: EventStream, error?: unknown): void {
    this.open.delete(stream);
    if (error) this.logger.warn(`event stream of ${stream.agentId} ended: ${(error as Error).message}`);
  }
}

/** One open stream: read, push, wait for a wake-up, repeat; until the client goes or the replica shuts down. */
export class EventStream {
  /** Peek mode: ids pushed on this connection and still pending, so each is pushed once per connection. */
  private readonly sent = new Set<string>();
  private stopped = false;
  waitingForClient = false;

  constructor(
    readonly agentId: string,
    private readonly options: EventStreamOptions,
    private readonly slot: WaiterSlot,
    private readonly watch: Watch,
    private readonly service: EventStreamService,
    private readonly keepAliveMs: number,
  ) {}

  stop(): void {
    this.stopped = true;
    this.watch.wake();
  }

  /** Streams until the client goes away or the replica shuts down; never rejects. */
  async run(sink: EventSink): Promise<void> {
    let failure: unknown;
    void sink.gone.then(() => this.stop());
    try {
      await this.pump(sink);
    } catch (error) {
      failure = error;
    } finally {
      this.watch.close();
      this.slot.release();
      this.service.closed(this, failure);
      // A failed read (Redis away) ends the stream like a shutdown: the client reconnects, here or elsewhere.
      sink.end(this.service.closing || failure !== undefined);
    }
  }

  private async pump(sink: EventSink): Promise<void> {
    let keepAliveAt = Date.now() + this.keepAliveMs;
    while (!this.stopped && !this.service.closing) {
      if (this.options.stillAuthorized && !(await this.options.stillAuthorized())) return;
      // The watch listens since `start`: a publish after this read wakes it, so nothing falls between the two.
      const batch = await this.service.read(this.agentId, this.options);
      const fresh = this.options.consumer === undefined ? this.unsent(batch) : batch;
      if (fresh.length > 0 && !this.stopped) {
        this.waitingForClient = true;
        await sink.messages(fresh);
        this.waitingForClient = false;
      }
      // A full lease batch may have more behind it; a peek batch full of what was sent waits for acknowledgements.
      const more = fresh.length > 0 && batch.length === EVENT_BATCH;
      if (!more) {
        const remaining = keepAliveAt - Date.now();
        if (remaining > 0) await this.watch.next(remaining);
      }
      if (Date.now() >= keepAliveAt && !this.stopped) {
        await sink.keepAlive();
        keepAliveAt = Date.now() + this.keepAliveMs;
      }
    }
  }

  /**
   * Peek: what this connection has not pushed yet. A batch that is not full holds every pending message, so the
   * ids missing from it were acknowledged (or dead-lettered) and leave `sent`; a full one says nothing about the
   * rest, which is why `sent` stays within what a few batches hold.
   */
  private unsent(batch: ContextMessage[]): ContextMessage[] {
    if (batch.length < EVENT_BATCH) {
      const pending = new Set(batch.map((message) => message.id));
      for (const id of this.sent) if (!pending.has(id)) this.sent.delete(id);
    }
    const fresh = batch.filter((message) => !this.sent.has(message.id));
    for (const message of fresh) this.sent.add(message.id);
    // Bounded: beyond it the oldest ids are forgotten (at worst one of them is pushed twice, still at-least-once).
    for (const id of this.sent) {
      if (this.sent.size <= SENT_IDS_MAX) break;
      this.sent.delete(id);
    }
    return fresh;
  }
}

const SENT_IDS_MAX = 10 * EVENT_BATCH;
