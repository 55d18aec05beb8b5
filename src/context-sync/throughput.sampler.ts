import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { THROUGHPUT_STEP_MS, THROUGHPUT_WINDOW_MS, ThroughputPoint } from './context-message';
import { MailboxStatsService, ThroughputTotals } from './mailbox-stats.service';

interface Sample extends ThroughputTotals {
  atMs: number;
}

/**
 * Messages per second over the last 15 minutes, for the dashboard's chart. Every replica samples the cluster-wide
 * counters in Redis every 2 s into a ring buffer of its own: any replica answers with (nearly) the same series,
 * the publish path stays untouched (no extra write per message), and the cost is a few hash reads per agent every
 * 2 s. A replica started a minute ago has a minute of series. Counters that vanish (an agent deleted, everything
 * cleared) make a step count 0 rather than a negative rate.
 */
@Injectable()
export class ThroughputSampler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ThroughputSampler');
  private readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private sampling = false;

  constructor(private readonly stats: MailboxStatsService) {}

  onApplicationBootstrap(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), THROUGHPUT_STEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One point per step within the window, oldest first. */
  series(nowMs = Date.now()): ThroughputPoint[] {
    const points: ThroughputPoint[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const [before, after] = [this.samples[i - 1], this.samples[i]];
      if (after.atMs <= nowMs - THROUGHPUT_WINDOW_MS) continue;
      const seconds = (after.atMs - before.atMs) / 1000;
      points.push({
        at: new Date(after.atMs),
        published: rate(after.published - before.published, seconds),
        acknowledged: rate(after.acknowledged - before.acknowledged, seconds),
      });
    }
    return points;
  }

  /** Takes one sample now. One that fails (Redis down) is skipped: the next step spans the gap at its true rate. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const totals = await this.stats.throughputTotals();
      this.samples.push({ atMs: Date.now(), ...totals });
      const oldest = Date.now() - THROUGHPUT_WINDOW_MS - THROUGHPUT_STEP_MS;
      while (this.samples.length > 0 && this.samples[0].atMs < oldest) this.samples.shift();
    } catch (error) {
      this.logger.debug(`throughput sample skipped: ${(error as Error).message}`);
    } finally {
      this.sampling = false;
    }
  }
}

function rate(delta: number, seconds: number): number {
  return seconds > 0 ? Math.round((Math.max(0, delta) / seconds) * 100) / 100 : 0;
}
