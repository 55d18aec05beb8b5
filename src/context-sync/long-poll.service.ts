import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { withTimeout } from '../common/with-timeout';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { RedisKeys } from '../infrastructure/redis/keys';
import { RedisConnectionFactory } from '../infrastructure/redis/redis-connection.factory';
import { RedisClient } from '../infrastructure/redis/redis.constants';
import { MetricsService } from '../metrics/metrics.service';
import { WaiterSlot, WaiterSlots } from './waiter-slots';

/** A notification lost (subscriber reconnecting, failover) delays an answer by at most this much. */
const RECHECK_MS = 2000;
/** Channels nobody listens to any more are unsubscribed this often, not at once: a poll loop re-listens at once. */
const SWEEP_MS = 30_000;
const SUBSCRIBERS_READY_MS = 2000;
const SUBSCRIBE_WAIT_MS = 1000;

/** The wake-ups of one waiter: what a long poll (or an event stream) awaits between two reads of its mailboxes. */
export interface Watch {
  /**
   * Resolves when a message may have arrived since the previous call returned (a publish to the agent, or any
   * broadcast), after at most `timeoutMs` (and RECHECK_MS), or at once on shutdown. The caller then reads again.
   */
  next(timeoutMs: number): Promise<void>;
  /** Ends the current (or next) `next` at once: its waiter has something else to do (an event stream closing). */
  wake(): void;
  close(): void;
}

class Waiter implements Watch {
  private woken = false;
  private wakeNow: (() => void) | undefined;

  constructor(
    readonly channels: string[],
    private readonly service: LongPollService,
  ) {}

  wake(): void {
    this.woken = true;
    this.wakeNow?.();
  }

  async next(timeoutMs: number): Promise<void> {
    if (!this.woken && !this.service.isClosing && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(timeoutMs, RECHECK_MS));
        this.wakeNow = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeNow = undefined;
    }
    this.woken = false;
  }

  close(): void {
    this.service.unlisten(this);
  }
}

/**
 * Long polls (`wait`) without a busy loop and without a Redis connection per waiter.
 * - At most BRAIN_MAX_WAITERS wait at once (`acquireSlot`); beyond that the request is refused with 429.
 * - Publish notifies the recipient's mailbox channel (sharded pub/sub, from inside the publish script, so no
 *   extra round trip). One subscriber connection per replica (per master on a Cluster) listens to the channels
 *   of the agents waiting here and wakes them in-process: a wake-up costs no connection and no command.
 * - A wake-up only means "look again"; waiters also look again every RECHECK_MS, which covers notifications
 *   lost while the subscriber reconnects and messages that become pending without a publish (leases expiring,
 *   dead letters requeued).
 * On shutdown every long poll ends at once: the HTTP server waits for the requests in flight before the process
 * exits, and a `wait` of up to 30 s must not hold the exit that long.
 */
@Injectable()
export class LongPollService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('LongPoll');
  private readonly keys: RedisKeys;
  private readonly slots: WaiterSlots;
  private closing = false;
  /** Channel -> the waiters of this replica listening to it. */
  private readonly listeners = new Map<string, Set<Waiter>>();
  /** Channel -> its subscription (resolved once Redis confirmed it; a failed one is dropped, to be retried). */
  private readonly subscriptions = new Map<string, Promise<void>>();
  private subscriber: RedisClient | undefined;
  private subscriberConnected: Promise<RedisClient> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private lastSubscribeError = '';

  constructor(
    private readonly connections: RedisConnectionFactory,
    @Inject(brainConfig.KEY) config: BrainConfigType,
    metrics: MetricsService,
  ) {
    this.keys = new RedisKeys(config.redis.prefix);
    this.slots = new WaiterSlots(config.redis.maxWaiters, this.logger);
    metrics.registerGauge(
      'brain_waiters',
      'Long polls and event streams waiting now (at most BRAIN_MAX_WAITERS)',
      () => this.waiting,
    );
  }

  /** One of the BRAIN_MAX_WAITERS places; throws TooManyRequestsError (429, Retry-After) when none is free. */
  acquireSlot(): WaiterSlot {
    return this.slots.acquire();
  }

  /**
   * Listens for the agent's wake-ups: its direct mailbox and the broadcasts. Resolves once Redis confirmed the
   * subscriptions, so a read made afterwards misses nothing: a later publish is either seen by it or wakes the watch.
   * If Redis cannot subscribe now, the watch still works, by looking again every RECHECK_MS.
   */
  async watch(agentId: string): Promise<Watch> {
    const channels = [
      this.keys.wakeChannel(this.keys.agentMailbox(agentId)),
      this.keys.wakeChannel(this.keys.broadcastMailbox(agentId)),
    ];
    const waiter = new Waiter(channels, this);
    const subscribed: Promise<void>[] = [];
    for (const channel of channels) {
      let waiting = this.listeners.get(channel);
      if (!waiting) this.listeners.set(channel, (waiting = new Set()));
      waiting.add(waiter);
      subscribed.push(this.subscription(channel));
    }
    // Bounded: a Redis that hangs must not hold the poll (it then relies on looking again every RECHECK_MS).
    await withTimeout(Promise.all(subscribed), SUBSCRIBE_WAIT_MS, 'subscribing took too long').catch(
      () => undefined,
    );
    return waiter;
  }

  /** How many slots are taken now. */
  get waiting(): number {
    return this.slots.inUse;
  }

  /** True once the app shuts down: callers answer with what they have instead of waiting. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Called by a closed watch: its channels stop waking it (they are unsubscribed later, by the sweep). */
  unlisten(waiter: Waiter): void {
    for (const channel of waiter.channels) {
      const waiting = this.listeners.get(channel);
      waiting?.delete(waiter);
      if (waiting?.size === 0) this.listeners.delete(channel);
    }
  }

  /** Runs before the HTTP server closes (and waits for requests in flight): ends every long poll now. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    this.wakeAll();
  }

  onApplicationShutdown(): void {
    this.closing = true;
    this.wakeAll();
    clearInterval(this.sweeper);
    this.subscriber?.disconnect();
  }

  private wakeAll(): void {
    for (const waiting of this.listeners.values()) for (const waiter of waiting) waiter.wake();
  }

  /** The channel's subscription, made once and shared; never rejects (a failed one is dropped, to be retried). */
  private subscription(channel: string): Promise<void> {
    let subscribed = this.subscriptions.get(channel);
    if (!subscribed) {
      const attempt: Promise<void> = this.subscribe(channel).then((ok) => {
        if (!ok && this.subscriptions.get(channel) === attempt) this.subscriptions.delete(channel);
      });
      this.subscriptions.set(channel, (subscribed = attempt));
    }
    return subscribed;
  }

  private async subscribe(channel: string): Promise<boolean> {
    try {
      const subscriber = await this.connectSubscriber();
      await subscriber.ssubscribe(channel);
      this.lastSubscribeError = '';
      return true;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastSubscribeError)
        this.logger.warn(
          `cannot listen for new messages (${message}); long polls look again every ${RECHECK_MS} ms`,
        );
      this.lastSubscribeError = message;
      return false;
    }
  }

  /** The replica's one subscriber, connected on first use: a replica where nobody long-polls opens none. */
  private connectSubscriber(): Promise<RedisClient> {
    if (!this.subscriberConnected) {
      const subscriber = this.connections.createSubscriber('wake');
      this.subscriber = subscriber;
      subscriber.on('smessage', (channel: string) => {
        for (const waiter of this.listeners.get(channel) ?? []) waiter.wake();
      });
      // Notifications sent while the subscriber was away are lost: every waiter looks again.
      subscriber.on(subscriber instanceof Cluster ? 'subscribersReady' : 'ready', () => this.wakeAll());
      this.subscriberConnected = this.connect(subscriber);
      this.sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();
    }
    return this.subscriberConnected;
  }

  private async connect(subscriber: RedisClient): Promise<RedisClient> {
    // On a Cluster, the per-master subscribers start after the topology is known: wait for them (briefly).
    const subscribersReady =
      subscriber instanceof Cluster
        ? new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, SUBSCRIBERS_READY_MS);
            subscriber.once('subscribersReady', () => {
              clearTimeout(timer);
              resolve();
            });
          })
        : Promise.resolve();
    // A failed first connect is retried by ioredis in the background; subscribing fails until then.
    await subscriber.connect().catch(() => undefined);
    await subscribersReady;
    return subscriber;
  }

  private sweep(): void {
    const idle = [...this.subscriptions.keys()].filter((channel) => !this.listeners.has(channel));
    for (const channel of idle) {
      this.subscriptions.delete(channel);
      // Sent on the same connection as any later SSUBSCRIBE of the channel, so it cannot undo that one.
      void Promise.resolve()
        .then(() => this.subscriber?.sunsubscribe(channel))
        .catch(() => undefined);
    }
  }
}
