import { RateLimitedError, UnavailableError } from '../errors';
import { backoffDelay, retryPolicy, sleep } from '../retry';
import type { ContextMessage, EventsQuery } from '../types';
import { EventStream, NotAnEventStreamError } from './event-stream';
import { isMissingRoute, LeaseKeeper } from './lease-keeper';
import type { MessageSource } from './message-source';
import type { ServerSentEvent } from './sse-parser';

export interface EventOpener {
  events(
    agentId: string,
    query: EventsQuery,
    options: { signal?: AbortSignal; lastEventId?: string },
  ): Promise<EventStream>;
}

export interface SseSourceOptions {
  agentId: string;
  consumer: string;
  /** Messages received and not yet handed to a handler before the stream is no longer read (backpressure). */
  prefetch: number;
  visibilityTimeoutMs: number;
  keeper: LeaseKeeper;
  /** Long polls, used while the server offers no usable stream. */
  fallback: MessageSource;
  warn: (what: string, error?: unknown) => void;
  /** A message pushed again while this consumer still holds it: dropped, not run twice. */
  onDuplicate: () => void;
}

/** Streams that open but are not usable (a buffering proxy, a wrong content type) before long polls take over. */
const UNUSABLE_BEFORE_FALLBACK = 3;
/** How long long polls are used after repeated unusable streams before the stream is tried again. */
const FALLBACK_MS = 60_000;
/** A read of the stream that waited this long found its buffers empty: what comes next was written just now. */
const CAUGHT_UP_MS = 25;
const RECONNECT = retryPolicy({ maxAttempts: Number.MAX_SAFE_INTEGER, baseDelayMs: 500, maxDelayMs: 30_000 });

/**
 * `GET /v1/agents/{id}/events?consumer=`: the server leases each message as it pushes it. The stream is read into a
 * queue of at most `prefetch` messages, every one of them held by the lease keeper from its receipt; when the queue
 * is full the stream is not read, so the socket fills and the server stops leasing. Messages read after such a pause
 * may have waited in the socket: their lease is counted from the pause, and one that may be past half the visibility
 * timeout is extended (which also tells whether this consumer still holds it) before a handler sees it.
 *
 * Reconnects with `Last-Event-ID` after the server's `retry` (at once on `: shutting down, reconnect`), with backoff
 * after failures and never sooner than a 429/503's Retry-After. Long polls take over when the route is missing (an
 * older server: for good) or streams keep failing unusably (for a minute, then the stream is tried again).
 */
export class SseSource implements MessageSource {
  private readonly queue: ContextMessage[] = [];
  private verifying = 0;
  private readonly closing = new AbortController();
  private reading?: Promise<void>;
  private wakeTaker?: () => void;
  private wakeReader?: () => void;
  private longPollUntil = 0;
  private lastEventId = '';
  private retryMs = 1000;
  /** Since when the stream was not read while the server may have written (undefined: it was read as it came). */
  private staleSince?: number;

  constructor(
    private readonly client: EventOpener,
    private readonly options: SseSourceOptions,
  ) {}

  /** Whether long polls are used now instead of the stream. */
  get usingLongPolls(): boolean {
    return Date.now() < this.longPollUntil;
  }

  async next(max: number, signal: AbortSignal): Promise<ContextMessage[]> {
    this.reading ??= this.readLoop();
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (this.queue.length > 0) {
        const taken = this.queue.splice(0, max);
        this.wake('reader');
        return taken;
      }
      if (this.usingLongPolls) return this.options.fallback.next(max, signal);
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wakeTaker = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Closes the stream; answers what was received and not handed out (still leased to this consumer). */
  async close(): Promise<ContextMessage[]> {
    this.closing.abort(new Error('the consumer is stopping'));
    this.wake('reader');
    await this.reading;
    const left = this.queue.splice(0);
    for (const message of left) this.options.keeper.release(message.id);
    return left;
  }

  private wake(which: 'taker' | 'reader'): void {
    const wake = which === 'taker' ? this.wakeTaker : this.wakeReader;
    if (which === 'taker') this.wakeTaker = undefined;
    else this.wakeReader = undefined;
    wake?.();
  }

  private async readLoop(): Promise<void> {
    const stopping = this.closing.signal;
    let failures = 0;
    let unusable = 0;
    while (!stopping.aborted) {
      // An older server: long polls for good, nothing more to read here.
      if (this.longPollUntil === Infinity) return;
      if (this.usingLongPolls) {
        await sleep(this.longPollUntil - Date.now(), stopping).catch(() => undefined);
        continue;
      }
      const connection = new AbortController();
      const abort = () => connection.abort(stopping.reason);
      stopping.addEventListener('abort', abort, { once: true });
      let stream: EventStream | undefined;
      let delay = this.retryMs;
      try {
        const query = { consumer: this.options.consumer };
        const options = { signal: connection.signal, lastEventId: this.lastEventId || undefined };
        stream = await this.client.events(this.options.agentId, query, options);
        const { received, reconnectNow } = await this.pump(stream);
        if (received) [failures, unusable] = [0, 0];
        else unusable++;
        if (reconnectNow) delay = 0;
      } catch (error) {
        if (stopping.aborted) break;
        if (isMissingRoute(error) || (error as { statusCode?: number }).statusCode === 405) {
          this.options.warn('this server has no event stream route: receiving by long polls', error);
          this.fallBack(Infinity);
          continue;
        }
        if (error instanceof NotAnEventStreamError) unusable++;
        const retryAfter =
          error instanceof RateLimitedError || error instanceof UnavailableError
            ? error.retryAfterMs
            : undefined;
        delay = Math.max(this.retryMs, backoffDelay(RECONNECT, ++failures, retryAfter));
        this.options.warn(`the event stream failed, reconnecting in ${delay} ms`, error);
      } finally {
        stopping.removeEventListener('abort', abort);
        connection.abort();
        if (stream?.lastEventId) this.lastEventId = stream.lastEventId;
      }
      if (unusable >= UNUSABLE_BEFORE_FALLBACK) {
        this.options.warn(
          `${unusable} event streams in a row were unusable: long polls for ${FALLBACK_MS} ms`,
        );
        [unusable, failures] = [0, 0];
        this.fallBack(Date.now() + FALLBACK_MS);
        continue;
      }
      if (delay > 0) await sleep(delay, stopping).catch(() => undefined);
    }
  }

  private fallBack(until: number): void {
    this.longPollUntil = until;
    this.wake('taker');
  }

  /** Reads one connection until it ends (resolves) or breaks (rejects). */
  private async pump(stream: EventStream): Promise<{ received: boolean; reconnectNow: boolean }> {
    const outcome = { received: false, reconnectNow: false };
    let askedAt = Date.now();
    for await (const events of stream) {
      if (Date.now() - askedAt >= CAUGHT_UP_MS) this.staleSince = undefined;
      outcome.received = true;
      for (const event of events) this.take(event, outcome);
      await this.room();
      if (this.closing.signal.aborted) break;
      askedAt = Date.now();
    }
    return outcome;
  }

  private take(event: ServerSentEvent, outcome: { reconnectNow: boolean }): void {
    if (event.kind === 'retry') this.retryMs = event.ms;
    else if (event.kind === 'comment') {
      // Everything before a comment has been read: what follows was written after it.
      this.staleSince = undefined;
      if (/^shutting down/.test(event.text)) outcome.reconnectNow = true;
    } else if (event.event === 'message') this.received(event.data);
  }

  private received(data: string): void {
    let message: ContextMessage;
    try {
      message = JSON.parse(data) as ContextMessage;
      if (typeof message?.id !== 'string') throw new Error('no id');
    } catch (error) {
      this.options.warn('an event that is not a message was ignored', error);
      return;
    }
    const { keeper } = this.options;
    if (keeper.has(message.id)) return this.options.onDuplicate();
    const now = Date.now();
    const leasedAt = this.staleSince ?? now;
    keeper.hold(message.id, leasedAt, () => this.drop(message.id));
    if (now - leasedAt < this.options.visibilityTimeoutMs / 2) return this.enqueue(message);
    this.verifying++;
    void keeper.extendNow(message.id).then((held) => {
      this.verifying--;
      if (held) this.enqueue(message);
      else this.wake('reader');
    });
  }

  private enqueue(message: ContextMessage): void {
    if (this.closing.signal.aborted) return this.options.keeper.release(message.id);
    this.queue.push(message);
    this.wake('taker');
  }

  private drop(messageId: string): void {
    const at = this.queue.findIndex((message) => message.id === messageId);
    if (at !== -1) this.queue.splice(at, 1);
    this.wake('reader');
  }

  /** Resolves once the queue has room (or the source closes); a wait starts the stale clock. */
  private async room(): Promise<void> {
    while (this.queue.length + this.verifying >= this.options.prefetch && !this.closing.signal.aborted) {
      this.staleSince ??= Date.now();
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }
}
