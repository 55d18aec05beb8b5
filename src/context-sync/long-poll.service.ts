import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { RedisKeys } from '../infrastructure/redis/keys';
import { RedisConnectionFactory } from '../infrastructure/redis/redis-connection.factory';
import { RedisClient } from '../infrastructure/redis/redis.constants';
import { compareEntryIds } from './message-codec';

/**
 * Long polls (`wait`) without a busy loop and without blocking the shared connection.
 * - Direct messages: the waiter blocks in XREAD on its agent's streams on a connection of its own, from a pool
 *   bounded by BRAIN_MAX_WAITERS (beyond it, a long poll answers at once with what there is: nothing).
 * - Broadcasts: one blocking reader per replica watches the broadcast streams and wakes every waiter, so 1,000
 *   waiting agents cost one connection for broadcasts, not 1,000.
 * A wake-up only means "look again"; the caller re-reads its mailboxes.
 * On shutdown every long poll ends at once: the HTTP server waits for the requests in flight before the process
 * exits, and a `wait` of up to 30 s must not hold the exit that long.
 */
@Injectable()
export class LongPollService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('LongPoll');
  private readonly idle: RedisClient[] = [];
  private active = 0;
  private closing = false;
  private readonly keys: RedisKeys;
  private readonly broadcastWaiters = new Set<{ since: string[]; wake: () => void }>();
  private broadcastSeen: string[] | undefined;
  private broadcastReader: RedisClient | undefined;
  private broadcastLoop: Promise<void> | undefined;

  constructor(
    private readonly connections: RedisConnectionFactory,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {
    this.keys = new RedisKeys(config.redis.prefix);
  }

  /** Resolves when an entry newer than `directSince` / `broadcastSince` arrives, or after `timeoutMs`. */
  async waitForNewEntries(
    directStreams: string[],
    directSince: string[],
    broadcastSince: string[],
    timeoutMs: number,
  ): Promise<void> {
    if (this.closing || timeoutMs <= 0) return;
    if (this.active >= this.config.redis.maxWaiters) {
      this.logger.warn(
        `BRAIN_MAX_WAITERS (${this.config.redis.maxWaiters}) long polls are waiting; answering this one at once`,
      );
      return;
    }
    this.active += 1;
    const connection = await this.acquire();
    let settled = false;
    let wakeBroadcast: (() => void) | undefined;
    try {
      const direct = connection
        .xread('BLOCK', Math.max(1, Math.round(timeoutMs)), 'STREAMS', ...directStreams, ...directSince)
        .then(() => undefined);
      const broadcast = new Promise<void>((resolve) => {
        wakeBroadcast = resolve;
        this.watchBroadcasts(broadcastSince, resolve);
      });
      await Promise.race([direct, broadcast]);
      settled = true;
      // The direct read may still be blocked (a broadcast woke us): that connection is dropped, not pooled.
      await Promise.race([direct, Promise.resolve('blocked')]).then((state) => {
        if (state === 'blocked') {
          connection.disconnect();
          direct.catch(() => undefined);
        } else this.release(connection);
      });
    } catch (error) {
      if (!settled) connection.disconnect();
      this.logger.debug(`long poll ended early: ${(error as Error).message}`);
    } finally {
      if (wakeBroadcast) this.unwatch(wakeBroadcast);
      this.active -= 1;
    }
  }

  /** True once the app shuts down: callers answer with what they have instead of waiting. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Runs before the HTTP server closes (and waits for requests in flight): ends every long poll now. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const waiter of this.broadcastWaiters) waiter.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const waiter of this.broadcastWaiters) waiter.wake();
    this.broadcastReader?.disconnect();
    await this.broadcastLoop?.catch(() => undefined);
    for (const connection of this.idle.splice(0)) connection.disconnect();
  }

  private async acquire(): Promise<RedisClient> {
    const pooled = this.idle.pop();
    if (pooled) return pooled;
    const connection = this.connections.createBlocking('long-poll');
    await connection.connect();
    return connection;
  }

  private release(connection: RedisClient): void {
    if (this.closing || this.idle.length >= 16) connection.disconnect();
    else this.idle.push(connection);
  }

  private watchBroadcasts(since: string[], wake: () => void): void {
    // Shutting down (a waiter that was still acquiring its connection): no waiting at all.
    if (this.closing) {
      wake();
      return;
    }
    // Something newer than what this waiter saw already went by: wake at once.
    if (this.broadcastLoop && this.broadcastSeen!.some((seen, p) => compareEntryIds(seen, since[p]) > 0)) {
      wake();
      return;
    }
    this.broadcastWaiters.add({ since, wake });
    if (!this.broadcastLoop) this.broadcastSeen = since;
    this.broadcastLoop ??= this.readBroadcasts().finally(() => (this.broadcastLoop = undefined));
  }

  private unwatch(wake: () => void): void {
    for (const waiter of this.broadcastWaiters)
      if (waiter.wake === wake) this.broadcastWaiters.delete(waiter);
  }

  /** One blocking reader per replica, running while anyone waits. */
  private async readBroadcasts(): Promise<void> {
    const streams = this.keys.broadcastStreams();
    this.broadcastReader ??= this.connections.createBlocking('broadcast-watch');
    const reader = this.broadcastReader;
    if (reader.status === 'wait') await reader.connect().catch(() => undefined);
    while (!this.closing && this.broadcastWaiters.size > 0) {
      try {
        const reply = await reader.xread(
          'COUNT',
          100,
          'BLOCK',
          1000,
          'STREAMS',
          ...streams,
          ...this.broadcastSeen!,
        );
        if (!reply) continue;
        const seen = [...this.broadcastSeen!];
        for (const [stream, entries] of reply) {
          const p = streams.indexOf(stream);
          if (entries.length > 0) seen[p] = entries[entries.length - 1][0];
        }
        this.broadcastSeen = seen;
        for (const waiter of [...this.broadcastWaiters]) waiter.wake();
      } catch (error) {
        if (this.closing) return;
        this.logger.warn(`broadcast watch failed (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
