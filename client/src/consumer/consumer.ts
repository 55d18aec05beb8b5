import { BrainError } from '../errors';
import { backoffDelay, retryPolicy, sleep } from '../retry';
import type { ContextMessage, NackRequest, NackResponse } from '../types';
import { AckBatcher, AckSink } from './ack-batcher';
import { isMissingRoute, LeaseExtender, LeaseKeeper } from './lease-keeper';
import { LeaseReader, LongPollSource, MessageSource } from './message-source';
import { EventOpener, SseSource } from './sse-source';

export { isMissingRoute };

export interface HandlerContext {
  /** Aborts when the consumer is stopped; a handler may finish early, or ignore it and finish its work. */
  signal: AbortSignal;
}

export interface ConsumeOptions {
  agentId: string;
  /** This replica's consumer name (lease mode): each message goes to one consumer of the agent at a time. */
  consumer: string;
  /** Handlers running at once (default 1). */
  concurrency?: number;
  /** Resolve: the message is acknowledged. Throw: it is given back (nack) with a backoff delay. */
  handler: (message: ContextMessage, context: HandlerContext) => Promise<void> | void;
  /** Aborting it stops the consumer, like `stop()`. */
  signal?: AbortSignal;
  /**
   * How messages arrive (default `sse`): pushed over `GET /v1/agents/{id}/events?consumer=`, falling back to long
   * polls when the server has no usable stream; or `long-poll` only (`GET …/messages?consumer=&wait=`).
   */
  transport?: 'sse' | 'long-poll';
  /** SSE: messages received ahead of free handlers (default 100, at least `concurrency`); beyond it the stream is not read. */
  prefetch?: number;
  /** A long poll's `wait` (default 10000 ms, at most 30000). */
  waitMs?: number;
  /** Most messages fetched at once (default `concurrency`); never more than free handler slots. */
  count?: number;
  /** The server's BRAIN_VISIBILITY_TIMEOUT_MS (default 30000): a lease is extended past half of it. */
  visibilityTimeoutMs?: number;
  /** The nack's delay for a message delivered `deliveryCount` times (default 1 s × 2^(count-1), at most 60 s). */
  nackDelayMs?: (deliveryCount: number) => number;
  /** Acknowledgements gathered per call (default 100) or for `ackFlushMs` (default 20 ms), whichever comes first. */
  ackBatchSize?: number;
  ackFlushMs?: number;
  /** How long `stop()` keeps retrying the last acknowledgements while Brain is unreachable (default 30000 ms). */
  stopTimeoutMs?: number;
  /** Where the consumer reports what it cannot throw: handler errors, failed calls (default: console). */
  logger?: Pick<Console, 'warn'>;
}

export interface ConsumerStats {
  handled: number;
  failed: number;
  acknowledged: number;
  /** Redeliveries of a message still being handled or acknowledged here, not run twice. */
  skippedRedeliveries: number;
}

export interface ConsumerHandle {
  /** Stops fetching, lets in-flight handlers finish, acknowledges them; resolves once all is done. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when the consumer has stopped, however it was stopped. */
  readonly stopped: Promise<void>;
  readonly stats: Readonly<ConsumerStats>;
}

export interface ConsumerClient extends LeaseReader, AckSink, LeaseExtender, EventOpener {
  nack(messageId: string, request: NackRequest): Promise<NackResponse>;
}

const POLL_RETRY = retryPolicy({ maxAttempts: Number.MAX_SAFE_INTEGER, baseDelayMs: 100, maxDelayMs: 2000 });

export class Consumer implements ConsumerHandle {
  readonly stats: ConsumerStats = { handled: 0, failed: 0, acknowledged: 0, skippedRedeliveries: 0 };
  readonly stopped: Promise<void>;
  private readonly stopping = new AbortController();
  private readonly running = new Map<string, Promise<void>>();
  /** Ids handled here and not yet acknowledged: a redelivery of one of them is not run again. */
  private readonly unsettled = new Set<string>();
  private readonly acks: AckBatcher;
  private readonly source: MessageSource;
  private readonly leases: LeaseKeeper;
  private slotFreed?: () => void;
  private nackUnsupported = false;

  private constructor(
    private readonly client: ConsumerClient,
    private readonly options: ConsumeOptions,
  ) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
    }
    const waitMs = options.waitMs ?? 10000;
    // Out of the contract's ranges the server answers 400 forever: refuse at once rather than retry in a loop.
    if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > 30000) {
      throw new RangeError(`waitMs must be an integer in 0..30000, got ${waitMs}`);
    }
    const count = options.count ?? concurrency;
    if (!Number.isInteger(count) || count < 1 || count > 1000) {
      throw new RangeError(`count must be an integer in 1..1000, got ${count}`);
    }
    const prefetch = options.prefetch ?? Math.max(100, concurrency);
    if (!Number.isInteger(prefetch) || prefetch < concurrency) {
      throw new RangeError(`prefetch must be an integer >= concurrency (${concurrency}), got ${prefetch}`);
    }
    if (options.transport !== undefined && !['sse', 'long-poll'].includes(options.transport)) {
      throw new RangeError(`transport must be 'sse' or 'long-poll', got ${String(options.transport)}`);
    }
    const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30000;
    const warn = (what: string, error?: unknown) => this.warn(what, error);
    this.leases = new LeaseKeeper(client, options.consumer, visibilityTimeoutMs, warn);
    const longPolls = new LongPollSource(client, options.agentId, options.consumer, waitMs);
    this.source =
      options.transport === 'long-poll'
        ? longPolls
        : new SseSource(client, {
            agentId: options.agentId,
            consumer: options.consumer,
            prefetch,
            visibilityTimeoutMs,
            keeper: this.leases,
            fallback: longPolls,
            warn,
            onDuplicate: () => this.stats.skippedRedeliveries++,
          });
    this.acks = new AckBatcher(
      client,
      options.agentId,
      options.ackBatchSize ?? 100,
      options.ackFlushMs ?? 20,
      (ids) => this.settled(ids),
      (error) => this.warn('acknowledging failed, retrying', error),
    );
    options.signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.stopped = this.run();
  }

  static start(client: ConsumerClient, options: ConsumeOptions): ConsumerHandle {
    return new Consumer(client, options);
  }

  stop(): Promise<void> {
    if (!this.stopping.signal.aborted) {
      this.stopping.abort(new Error('the consumer is stopping'));
      this.slotFreed?.();
    }
    return this.stopped;
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 1;
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    if (this.options.signal?.aborted) this.stopping.abort(this.options.signal.reason);
    let failures = 0;
    while (!signal.aborted) {
      const free = this.concurrency - this.running.size;
      if (free === 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let messages: ContextMessage[];
      try {
        messages = await this.source.next(Math.min(this.options.count ?? this.concurrency, free), signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        this.warn('receiving failed, retrying', error);
        await sleep(backoffDelay(POLL_RETRY, ++failures), signal).catch(() => undefined);
        continue;
      }
      for (const message of messages) this.dispatch(message);
    }
    // Received and never started: given back now rather than left leased until the lease runs out.
    const unstarted = (await this.source.close?.()) ?? [];
    await Promise.all(unstarted.map((message) => this.release(message)));
    while (this.running.size > 0) await Promise.all(this.running.values());
    this.leases.stop();
    const left = await this.acks.close(Date.now() + (this.options.stopTimeoutMs ?? 30000));
    if (left.length > 0) {
      this.warn(`${left.length} acknowledgements could not be sent; those messages will be delivered again`);
    }
  }

  private dispatch(message: ContextMessage): void {
    if (this.unsettled.has(message.id)) {
      this.stats.skippedRedeliveries++;
      // A copy held since its handler finished (its acknowledgement is on its way) needs no lease kept.
      if (!this.running.has(message.id)) this.leases.release(message.id);
      return;
    }
    this.unsettled.add(message.id);
    // From its receipt (SSE: perhaps earlier); a lost lease now only warns, the handler runs on.
    this.leases.hold(message.id, Date.now());
    const done = this.handle(message).finally(() => {
      this.running.delete(message.id);
      const wake = this.slotFreed;
      this.slotFreed = undefined;
      wake?.();
    });
    this.running.set(message.id, done);
  }

  private async handle(message: ContextMessage): Promise<void> {
    try {
      await this.options.handler(message, { signal: this.stopping.signal });
      this.stats.handled++;
      this.acks.add(message.id);
    } catch (error) {
      this.stats.failed++;
      this.warn(`the handler failed on message ${message.id}`, error);
      await this.giveBack(message, error);
      this.unsettled.delete(message.id);
    } finally {
      this.leases.release(message.id);
    }
  }

  private async giveBack(message: ContextMessage, error: unknown): Promise<void> {
    if (this.nackUnsupported) return;
    const delayMs = (this.options.nackDelayMs ?? defaultNackDelay)(Math.max(1, message.deliveryCount));
    const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    try {
      await this.client.nack(message.id, { consumer: this.options.consumer, reason, delayMs });
    } catch (nackError) {
      if (isMissingRoute(nackError)) {
        this.nackUnsupported = true;
        this.warn(
          'this server cannot nack (no nack route): failed messages come back when their lease expires',
        );
      } else if (!(nackError instanceof BrainError && nackError.statusCode === 404)) {
        this.warn(
          `giving back message ${message.id} failed; it comes back when its lease expires`,
          nackError,
        );
      }
    }
  }

  /** Ends the lease of a message this consumer will not handle, so another consumer may take it now. */
  private async release(message: ContextMessage): Promise<void> {
    if (this.nackUnsupported) return;
    const request = { consumer: this.options.consumer, reason: 'the consumer stopped before handling it' };
    await this.client.nack(message.id, request).catch((error: unknown) => {
      this.warn(`giving back message ${message.id} failed; it comes back when its lease expires`, error);
    });
  }

  private settled(ids: string[]): void {
    this.stats.acknowledged += ids.length;
    for (const id of ids) this.unsettled.delete(id);
  }

  private warn(what: string, error?: unknown): void {
    const detail =
      error === undefined ? '' : `: ${error instanceof Error ? error.message : JSON.stringify(error)}`;
    (this.options.logger ?? console).warn(
      `[brain consumer ${this.options.agentId}/${this.options.consumer}] ${what}${detail}`,
    );
  }
}

export function defaultNackDelay(deliveryCount: number): number {
  return Math.min(60000, 1000 * 2 ** (deliveryCount - 1));
}
