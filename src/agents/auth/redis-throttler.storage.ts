import { ThrottlerStorage } from '@nestjs/throttler';
import { RedisKeys } from '../../infrastructure/redis/keys';
import { RedisClient } from '../../infrastructure/redis/redis.constants';
import { RateLimitCommand, rateLimitScript } from './rate-limit.script';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
/** The one throttler (agents.module.ts): its name is part of the counter's key. */
export const RATE_LIMIT_THROTTLER = 'default';
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** One request counted in the agent's current window. */
export interface RequestCount {
  hits: number;
  remainingMs: number;
}

/** What the throttler makes of a count: blocked beyond `limit`, until the window ends. */
export function throttlerRecord({ hits, remainingMs }: RequestCount, limit: number): ThrottlerStorageRecord {
  const secondsLeft = Math.max(1, Math.ceil(remainingMs / 1000));
  const isBlocked = hits > limit;
  return {
    totalHits: hits,
    timeToExpire: secondsLeft,
    isBlocked,
    timeToBlockExpire: isBlocked ? secondsLeft : 0,
  };
}

/**
 * Throttler counters in Redis, so a limit holds across replicas. `key` is the agent id (AgentThrottlerGuard makes
 * it so); the Redis key is built by RedisKeys in the agent's hash slot, so this works on a Redis Cluster as well.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly command: RateLimitCommand;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    // EVALSHA with a fallback to EVAL: the script body travels once per connection, not once per request.
    this.command = rateLimitScript(redis);
  }

  async increment(
    agentId: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [hits, remainingMs] = await this.command(this.keys.rateLimit(agentId, throttlerName), ttl);
    return throttlerRecord({ hits, remainingMs }, limit);
  }
}
