import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ArchiveMetrics } from './archive.metrics';

/**
 * Readiness detail: how many entries wait for the archive. Always "up": a Postgres outage shows in the postgres
 * check, and a replica must keep taking messages (they wait safely in Redis) while the archive catches up.
 */
@Injectable()
export class ArchiveHealthIndicator {
  constructor(
    private readonly archive: ArchiveMetrics,
    private readonly health: HealthIndicatorService,
  ) {}

  check(key: string) {
    return this.health.check(key).up({ archiveLag: this.archive.lastKnownLag ?? null });
  }
}
