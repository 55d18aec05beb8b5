import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { RedisLockService } from '../infrastructure/redis/redis-lock.service';
import { ContextSyncService } from './context-sync.service';

const HOUR_MS = 60 * 60 * 1000;
const LOCK_TTL_MS = 10 * 60 * 1000;

/** Hourly stream retention, once across all replicas (the lock), the work itself in ContextSyncService. */
@Injectable()
export class RetentionJob {
  constructor(
    private readonly lock: RedisLockService,
    private readonly contextSync: ContextSyncService,
  ) {}

  /** The hourly schedule: once per hour across replicas, whichever replica's timer fires first. */
  @Cron(CronExpression.EVERY_HOUR, { name: 'stream-retention' })
  async scheduled() {
    return this.lock.runOncePerPeriod('stream-retention', HOUR_MS, () =>
      this.contextSync.cleanupOldMessages(),
    );
  }

  /** Runs the job now unless another replica is running it (operators, tests). */
  async runHourly(): Promise<{ result: number } | undefined> {
    return this.lock.runExclusively('stream-retention', LOCK_TTL_MS, () =>
      this.contextSync.cleanupOldMessages(),
    );
  }
}
