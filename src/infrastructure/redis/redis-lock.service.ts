import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../../config/brain.config';
import { RedisKeys } from './keys';
import { defineScripts, Scripts } from './lua-scripts';
import { REDIS_CLIENT, RedisClient } from './redis.constants';

/**
 * A mutex across replicas: SET NX PX with a random token, released by compare-and-delete, so a replica whose lock
 * expired while it worked never releases another replica's lock. The key has its own hash tag: one slot on a Cluster.
 */
@Injectable()
export class RedisLockService {
  private readonly keys: RedisKeys;
  private readonly scripts: Scripts<'release-lock'>;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(brainConfig.KEY) config: BrainConfigType,
  ) {
    this.keys = new RedisKeys(config.redis.prefix);
    this.scripts = defineScripts(redis, join(__dirname, 'lua'), { 'release-lock': 1 });
  }

  /** Runs `work` if this replica takes the lock; returns undefined (and runs nothing) if another replica holds it. */
  async runExclusively<T>(
    name: string,
    ttlMs: number,
    work: () => Promise<T>,
  ): Promise<{ result: T } | undefined> {
    const key = this.keys.lock(name);
    const token = randomBytes(16).toString('hex');
    const taken = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (taken !== 'OK') return undefined;
    try {
      return { result: await work() };
    } finally {
      await this.scripts.run<number>('release-lock', [key], [token]);
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
    const taken = await this.redis.set(this.keys.lock(`${name}:${period}`), '1', 'PX', periodMs * 2, 'NX');
    if (taken !== 'OK') return undefined;
    return { result: await work() };
  }
}
