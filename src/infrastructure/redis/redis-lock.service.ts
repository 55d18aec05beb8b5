import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../../config/brain.config';
import { REDIS_CLIENT, RedisClient } from './redis.constants';

// KEYS[1] lock key; ARGV[1] the holder's token. Reply: 1 if released, 0 if the lock was not ours any more.
const RELEASE_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A mutex across replicas: SET NX PX with a random token, released by compare-and-delete, so a replica whose lock
 * expired while it worked never releases another replica's lock. The key has its own hash tag: one slot on a Cluster.
 */
@Injectable()
export class RedisLockService {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  /** Runs `work` if this replica takes the lock; returns undefined (and runs nothing) if another replica holds it. */
  async runExclusively<T>(
    name: string,
    ttlMs: number,
    work: () => Promise<T>,
  ): Promise<{ result: T } | undefined> {
    const key = this.lockKey(name);
    const token = randomBytes(16).toString('hex');
    const taken = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (taken !== 'OK') return undefined;
    try {
      return { result: await work() };
    } finally {
      await this.redis.eval(RELEASE_IF_OWNER, 1, key, token);
    }
  }

  /**
   * Runs `work` on one replica per period (e.g. per hour): the first replica to take this period's lock runs it;
   * the lock is kept until the period is over, so a replica whose timer fires a little later skips it too.
   */
  async runOncePerPeriod<T>(
    name: string,
    periodMs: number,
    work: () => Promise<T>,
  ): Promise<{ result: T } | undefined> {
    const period = Math.floor(Date.now() / periodMs);
    const taken = await this.redis.set(this.lockKey(`${name}:${period}`), '1', 'PX', periodMs * 2, 'NX');
    if (taken !== 'OK') return undefined;
    return { result: await work() };
  }

  private lockKey(name: string): string {
    if (!/^[a-z0-9:-]{1,64}$/.test(name)) throw new Error(`invalid lock name '${name}'`);
    return `${this.config.redis.prefix}:{lock:${name}}`;
  }
}
