import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

/** What the archiver's loop reports, wherever it runs (this thread, or its own: see archive-thread.ts). */
export interface ArchiveProgress {
  stored(count: number): void;
  failed(): void;
  lagMeasured(lag: number): void;
}

/** Where ArchiverService reports to: ArchiveMetrics on the main thread, the parent port in the archive thread. */
export const ARCHIVE_PROGRESS = Symbol('ARCHIVE_PROGRESS');

/**
 * The archive's figures on this process' /metrics and readiness, fed by the archiver's loop: directly when it runs
 * inline, through the messages of its thread otherwise.
 */
@Injectable()
export class ArchiveMetrics implements ArchiveProgress {
  private readonly archived: Counter;
  private readonly failedAttempts: Counter;
  private lag: number | undefined;

  constructor(metrics: MetricsService) {
    this.archived = metrics.counter(
      'brain_archive_entries_total',
      'Messages and acknowledgements stored in Postgres',
    );
    this.failedAttempts = metrics.counter(
      'brain_archive_failures_total',
      'Archive passes that failed, and archive threads that died (entries wait in Redis)',
    );
    metrics.registerGauge(
      'brain_archive_lag',
      'Stream entries not yet stored in Postgres (measured every 5 s)',
      () => this.lag ?? NaN,
    );
  }

  /** Entries not yet stored in Postgres, as last measured (every few seconds); undefined before the first measure. */
  get lastKnownLag(): number | undefined {
    return this.lag;
  }

  stored(count: number): void {
    if (count > 0) this.archived.inc(count);
  }

  failed(): void {
    this.failedAttempts.inc();
  }

  lagMeasured(lag: number): void {
    this.lag = lag;
  }
}
