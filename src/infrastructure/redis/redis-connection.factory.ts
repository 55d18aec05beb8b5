import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { brainConfig, BrainConfigType } from '../../config/brain.config';
import { RedisClient } from './redis.constants';
import { sharePipelineScripts } from './shared-pipeline-scripts';

/** Reconnect quickly at first, then back off to at most 2 s between attempts, forever. */
export const reconnectBackoff = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/**
 * Creates Brain's Redis connections: the shared one, and the subscriber that wakes long polls (a connection in
 * subscriber mode can send nothing else).
 */
@Injectable()
export class RedisConnectionFactory {
  private readonly logger = new Logger('Redis');

  constructor(@Inject(brainConfig.KEY) private readonly config: BrainConfigType) {}

  /** The shared connection: auto-pipelined, failing fast while Redis is away instead of queueing forever. */
  createShared(): RedisClient {
    const client = this.create('shared', {
      enableAutoPipelining: true,
      commandTimeout: this.config.redis.commandTimeoutMs,
    });
    sharePipelineScripts(client);
    return client;
  }

  /**
   * A connection for sharded pub/sub (SSUBSCRIBE), without a command timeout (it only waits for messages). On a
   * Cluster, ioredis keeps one subscriber connection per master and routes each channel to the master of its slot.
   */
  createSubscriber(name: string): RedisClient {
    return this.create(name, { enableAutoPipelining: false }, { shardedSubscribers: true });
  }

  private create(name: string, overrides: RedisOptions, clusterOverrides: ClusterOptions = {}): RedisClient {
    const base: RedisOptions = {
      connectionName: `brain:${name}`,
      // Fail queued commands once per reconnect instead of retrying them 20 times: the caller answers 503.
      maxRetriesPerRequest: 1,
      // While disconnected, commands fail at once (-> 503) rather than piling up in memory.
      enableOfflineQueue: false,
      retryStrategy: reconnectBackoff,
      connectTimeout: 2000,
      lazyConnect: true,
      ...overrides,
    };
    const { clusterNodes } = this.config.redis;
    const client: RedisClient = clusterNodes
      ? new Cluster(clusterNodes, {
          enableAutoPipelining: base.enableAutoPipelining,
          // Auto-pipelining groups calls by the slot of their first argument; these take a subcommand or a
          // script body first, so they go on their own.
          autoPipeliningIgnoredCommands: [
            'xreadgroup',
            'xgroup',
            'xinfo',
            'xread',
            'eval',
            'config',
            'ping',
            'scan',
          ],
          enableOfflineQueue: false,
          clusterRetryStrategy: reconnectBackoff,
          lazyConnect: true,
          scaleReads: 'master',
          redisOptions: { ...base, enableAutoPipelining: undefined, lazyConnect: undefined },
          ...clusterOverrides,
        })
      : new Redis(this.config.redis.url, base);
    let lastError = '';
    client.on('error', (error: Error) => {
      // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
      if (error.message !== lastError) this.logger.warn(`${name} connection: ${error.message}`);
      lastError = error.message;
    });
    client.on('ready', () => {
      if (lastError) this.logger.log(`${name} connection is back`);
      lastError = '';
    });
    return client;
  }
}

/** Connects, but never throws: Brain starts while Redis is down and reports not-ready until it is back. */
export async function connectQuietly(client: RedisClient, logger: Logger): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    logger.error(`Redis is not reachable yet (${(error as Error).message}); retrying in the background`);
  }
}
