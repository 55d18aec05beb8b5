import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { RedisLockService } from '../infrastructure/redis/redis-lock.service';
import { ContextSyncService } from './context-sync.service';

const LOCK_TTL_MS = 10 * 60 * 1000;

/** Hourly stream retention, once across all replicas (the lock), the work itself in ContextSyncService. */
@Injectable()
export class RetentionJob {
  constructor(
    private readonly lock: RedisLockService,
    private readonly contextSync: ContextSyncService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'stream-retention' })
  async runHourly(): Promise<{ result: number } | undefined> {
    return this.lock.runExclusively('stream-retention', LOCK_TTL_MS, () =>
      this.contextSync.cleanupOldMessages(),
    );
  }
}
