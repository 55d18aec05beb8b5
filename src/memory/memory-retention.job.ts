import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { RedisLockService } from '../infrastructure/redis/redis-lock.service';
import { MemoryService } from './memory.service';

const HOUR_MS = 60 * 60 * 1000;
const LOCK_TTL_MS = 30 * 60 * 1000;

/** Hourly: expired memories and history older than BRAIN_HISTORY_DAYS go, once across all replicas. */
@Injectable()
export class MemoryRetentionJob {
  constructor(
    private readonly lock: RedisLockService,
    private readonly memory: MemoryService,
  ) {}

  /** The hourly schedule: once per hour across replicas, whichever replica's timer fires first. */
  @Cron(CronExpression.EVERY_HOUR, { name: 'memory-retention' })
  async scheduled() {
    return this.lock.runOncePerPeriod('memory-retention', HOUR_MS, () => this.memory.deleteExpired());
  }

  /** Runs the job now unless another replica is running it (operators, tests). */
  async runHourly(): Promise<{ result: { memories: number; messages: number } } | undefined> {
    return this.lock.runExclusively('memory-retention', LOCK_TTL_MS, () => this.memory.deleteExpired());
  }
}
