import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Cluster } from 'ioredis';
import { withTimeout } from '../../common/with-timeout';
import { REDIS_CLIENT, RedisClient } from './redis.constants';

/** Policies under which Redis may delete keys it holds — and with them streams and consumer groups. */
const DATA_LOSING_POLICIES = new Set([
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
]);

export interface RedisServerSettings {
  maxmemoryPolicy?: string;
  appendonly?: string;
  appendfsync?: string;
}

/** Readiness of Redis: answers PING in time, and runs with a policy that cannot silently evict streams. */
@Injectable()
export class RedisHealthIndicator implements OnApplicationBootstrap {
  private readonly logger = new Logger('Redis');
  private settings: RedisServerSettings = {};

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly health: HealthIndicatorService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.inspectServerSettings();
  }

  /** Reads the eviction and persistence settings once and warns about the dangerous ones. */
  async inspectServerSettings(): Promise<RedisServerSettings> {
    try {
      const node = this.redis instanceof Cluster ? this.redis.nodes('master')[0] : this.redis;
      const [policy, appendonly, appendfsync] = await Promise.all(
        ['maxmemory-policy', 'appendonly', 'appendfsync'].map(async (name) => {
          const reply = (await node.config('GET', name)) as string[];
          return reply[1];
        }),
      );
      this.settings = { maxmemoryPolicy: policy, appendonly, appendfsync };
      if (DATA_LOSING_POLICIES.has(policy)) {
        this.logger.error(
          `Redis maxmemory-policy is '${policy}': Redis may evict streams and consumer groups. Set it to noeviction; readiness reports not-ready until then.`,
        );
      }
      if (appendonly !== 'yes') {
        this.logger.warn(
          'Redis runs without AOF (appendonly no): a Redis restart loses recent messages. Use AOF in production.',
        );
      }
    } catch (error) {
      // Managed Redis often disables CONFIG; that is not a reason to stop.
      this.logger.warn(`Could not read Redis settings (${(error as Error).message})`);
    }
    return this.settings;
  }

  async check(key: string, timeoutMs: number) {
    const indicator = this.health.check(key);
    try {
      await withTimeout(this.redis.ping(), timeoutMs, `no answer within ${timeoutMs} ms`);
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
    const policy = this.settings.maxmemoryPolicy;
    if (policy && DATA_LOSING_POLICIES.has(policy)) {
      return indicator.down({ message: `maxmemory-policy ${policy} may evict streams; set noeviction` });
    }
    return indicator.up({ maxmemoryPolicy: policy, appendonly: this.settings.appendonly });
  }
}
