import { Inject, Injectable, Logger } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../../config/brain.config';
import { RedisKeys } from '../../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../../infrastructure/redis/redis.constants';
import { RateLimitCommand, rateLimitScript } from './rate-limit.script';

const WINDOW_MS = 60_000;
/** Blocked addresses remembered in the process; beyond this many, expired ones are dropped first. */
const MAX_REMEMBERED = 10_000;

/**
 * Counts failed authentications per client address in Redis (shared by every replica, fixed one-minute window).
 * Once an address exceeds BRAIN_AUTH_FAILURES_PER_MINUTE, this replica refuses every /v1 request from it until the
 * window ends, without looking at the token: a blocked address's guesses are not even evaluated, and refusing
 * costs no Redis call. Other addresses are not affected.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly logger = new Logger('Auth');
  private readonly keys: RedisKeys;
  private readonly count: RateLimitCommand;
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    @Inject(REDIS_CLIENT) redis: RedisClient,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {
    this.keys = new RedisKeys(config.redis.prefix);
    this.count = rateLimitScript(redis);
  }

  get limit(): number {
    return this.config.auth.failuresPerMinute;
  }

  /** Seconds until the address may try again, or 0 when it is not blocked. */
  blockedFor(address: string): number {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return 0;
    const left = until - Date.now();
    if (left > 0) return Math.ceil(left / 1000);
    this.blockedUntil.delete(address);
    return 0;
  }

  /** Counts a failure; returns the seconds the address is now blocked for (0 while it is under the limit). */
  async recordFailure(address: string): Promise<number> {
    if (this.limit === 0) return 0;
    let hits: number;
    let remainingMs: number;
    try {
      [hits, remainingMs] = await this.count(this.keys.authFailures(address), WINDOW_MS);
    } catch (error) {
      // The limit protects the service; an unreachable Redis must not turn a plain 401 into a 503.
      this.logger.debug(`failed authentication from ${address} not counted: ${(error as Error).message}`);
      return 0;
    }
    if (hits <= this.limit) return 0;
    if (hits === this.limit + 1) this.logger.warn(`too many failed authentications from ${address}: blocked`);
    this.remember(address, Date.now() + remainingMs);
    return Math.max(1, Math.ceil(remainingMs / 1000));
  }

  private remember(address: string, until: number): void {
    if (this.blockedUntil.size >= MAX_REMEMBERED) {
      const now = Date.now();
      for (const [known, at] of this.blockedUntil) if (at <= now) this.blockedUntil.delete(known);
      // Still full: forget the oldest. Each forgotten address is blocked again at its next failure.
      for (const known of this.blockedUntil.keys()) {
        if (this.blockedUntil.size < MAX_REMEMBERED) break;
        this.blockedUntil.delete(known);
      }
    }
    this.blockedUntil.set(address, until);
  }
}
