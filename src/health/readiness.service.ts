import { Injectable } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorFunction } from '@nestjs/terminus';
import { ContextSyncService } from '../context-sync/context-sync.service';
import { PostgresHealthIndicator } from '../infrastructure/database/postgres.health';
import { RedisHealthIndicator } from '../infrastructure/redis/redis.health';
import { LifecycleService } from './lifecycle.service';

/** How long Redis and Postgres each get to answer (the contract: "within 1 s"). */
const CHECK_TIMEOUT_MS = 1000;

/**
 * Readiness of this replica, composed once: `/health/ready` and `BrainAI.health()` both ask here, so they check the
 * same things. Each indicator lives with what it checks; this only lists them, each with its timeout.
 */
@Injectable()
export class ReadinessService {
  private readonly indicators: HealthIndicatorFunction[];

  constructor(
    private readonly health: HealthCheckService,
    redis: RedisHealthIndicator,
    postgres: PostgresHealthIndicator,
    contextSync: ContextSyncService,
    lifecycle: LifecycleService,
  ) {
    this.indicators = [
      () => redis.check('redis', CHECK_TIMEOUT_MS),
      () => postgres.check('postgres', CHECK_TIMEOUT_MS),
      () => contextSync.checkArchive('archive'),
      () =>
        lifecycle.isShuttingDown
          ? { lifecycle: { status: 'down' as const, message: 'shutting down' } }
          : { lifecycle: { status: 'up' as const } },
    ];
  }

  /** Terminus' check: throws a ServiceUnavailableException carrying the result when a check is down. */
  check(): Promise<HealthCheckResult> {
    return this.health.check(this.indicators);
  }

  /** The same checks as `check()`, for in-process callers: the result either way, never an exception. */
  async report(): Promise<HealthCheckResult> {
    try {
      return await this.check();
    } catch (error) {
      const response = (error as { getResponse?: () => unknown }).getResponse?.();
      if (response && typeof response === 'object' && 'status' in response)
        return response as HealthCheckResult;
      throw error;
    }
  }
}
