import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from '../common/with-timeout';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A gauge's value is read at scrape time; one that does not answer in this time reports NaN for that scrape. */
const COLLECT_TIMEOUT_MS = 1000;

/** One series of a labelled gauge: its label values and its value. */
export interface GaugeSample<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/** Seconds, from 1 ms (a Redis-only publish) to 30 s (the longest long poll). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The app's Prometheus registry. Other modules inject this service and register what they measure, e.g.
 *   metrics.registerGauge('brain_archive_lag', 'Entries not yet archived', () => archiver.lag());
 *   const published = metrics.counter('brain_messages_published_total', 'Messages published', ['priority']);
 * Each app instance has its own registry (not prom-client's global one), so two replicas in one test process
 * do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The registry in Prometheus text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * A gauge whose value `collect` reads at scrape time. A collect that fails or takes longer than 1 s reports NaN
   * for that scrape (rather than a stale value, or failing the whole scrape).
   */
  registerGauge(name: string, help: string, collect: () => Promise<number> | number): Gauge {
    this.assertNew(name);
    const read = this.reader(name, collect);
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        // NaN, not 0 or the last value: "unknown" must not read as "all is well".
        this.set((await read()) ?? NaN);
      },
    });
  }

  /**
   * A gauge with labels whose series `collect` lists at scrape time: series it no longer lists disappear (a deleted
   * agent). A failing or slow collect (1 s) turns every series known from the last good scrape to NaN.
   */
  registerLabelledGauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: () => Promise<GaugeSample<L>[]> | GaugeSample<L>[],
  ): Gauge<L> {
    this.assertNew(name);
    const read = this.reader(name, collect);
    let known: GaugeSample<L>[] = [];
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const samples = await read();
        this.reset();
        if (samples) known = samples;
        for (const sample of known) this.set(sample.labels, samples ? sample.value : NaN);
      },
    });
  }

  /** Runs `collect` with the scrape timeout; on failure logs once per distinct error and answers undefined. */
  private reader<T>(name: string, collect: () => Promise<T> | T): () => Promise<T | undefined> {
    let lastError = '';
    return async () => {
      try {
        const value = await withTimeout(
          Promise.resolve().then(collect),
          COLLECT_TIMEOUT_MS,
          `no value within ${COLLECT_TIMEOUT_MS} ms`,
        );
        lastError = '';
        return value;
      } catch (error) {
        const message = (error as Error).message;
        if (message !== lastError) this.logger.warn(`Could not collect ${name}: ${message}`);
        lastError = message;
        return undefined;
      }
    };
  }

  /** A counter; asking again for the same name returns the same counter, so several call sites can share it. */
  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.getOrCreate(
      name,
      labelNames,
      Counter,
      () => new Counter<L>({ name, help, labelNames, registers: [this.registry] }),
    );
  }

  /** A gauge that its owner sets (`set`, `inc`, `dec`); same sharing rule as `counter`. */
  gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.getOrCreate(
      name,
      labelNames,
      Gauge,
      () => new Gauge<L>({ name, help, labelNames, registers: [this.registry] }),
    );
  }

  /** A histogram, in seconds by default buckets; same sharing rule as `counter`. */
  histogram<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets: number[] = LATENCY_BUCKETS,
  ): Histogram<L> {
    return this.getOrCreate(
      name,
      labelNames,
      Histogram,
      () => new Histogram<L>({ name, help, labelNames, buckets, registers: [this.registry] }),
    );
  }

  private getOrCreate<M>(
    name: string,
    labelNames: readonly string[],
    type: abstract new (...args: never[]) => M,
    create: () => M,
  ): M {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name '${name}'`);
    const existing = this.registry.getSingleMetric(name);
    if (!existing) return create();
    const existingLabels = (existing as unknown as { labelNames: string[] }).labelNames;
    if (!(existing instanceof type) || existingLabels.join() !== labelNames.join()) {
      throw new Error(`metric '${name}' is already registered with another type or other labels`);
    }
    return existing;
  }

  private assertNew(name: string): void {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name '${name}'`);
    if (this.registry.getSingleMetric(name)) throw new Error(`metric '${name}' is already registered`);
  }
}
