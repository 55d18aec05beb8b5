import { performance } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { Snapshot } from '../metrics/snapshot';

/**
 * `published` counts for the sender; the others for the recipient. `delivered` is a hand-out to a lease consumer
 * (redeliveries included; a peek delivers nothing). `expired` is declared for TTLs.
 */
export type MessageEvent = 'published' | 'delivered' | 'acknowledged' | 'dead_lettered' | 'expired';
const SYNC_OPERATIONS = ['share', 'broadcast', 'pending', 'ack', 'nack'] as const;
export type SyncOperation = (typeof SYNC_OPERATIONS)[number];

/** One agent's backlog, from counters (no stream scan). */
export interface AgentBacklog {
  agentId: string;
  pending: number;
  deadLetters: number;
}

/** The per-agent gauges are measured at most this often, whatever the number of scrapes. */
export const BACKLOG_MEASURE_EVERY_MS = 5000;

/**
 * ContextSync's metrics with the design note's names. The hot path only increments a counter and observes a
 * histogram (no Redis); the per-agent pending and dead-letter gauges come from a snapshot of Redis counters taken
 * at most every 5 s, and only when someone scrapes.
 */
@Injectable()
export class ContextSyncMetrics {
  private readonly messages: Counter<'agent' | 'status'>;
  private readonly latency: Histogram<'operation'>;
  /** One label object per operation, not one per call (and no timer closures) on the hot path. */
  private readonly operationLabels = Object.fromEntries(
    SYNC_OPERATIONS.map((operation) => [operation, { operation }]),
  ) as Record<SyncOperation, { operation: SyncOperation }>;
  private measureBacklog: () => Promise<AgentBacklog[]> = () => Promise.resolve([]);
  private readonly backlog = new Snapshot(() => this.measureBacklog(), BACKLOG_MEASURE_EVERY_MS);

  constructor(metrics: MetricsService) {
    this.messages = metrics.counter(
      'brain_contextsync_messages_total',
      'Messages by agent and what happened to them: published (by the sender), delivered (to a lease consumer), ' +
        'acknowledged, dead_lettered, expired (for the recipient)',
      ['agent', 'status'],
    );
    this.latency = metrics.histogram(
      'brain_contextsync_latency_seconds',
      'Time ContextSync took for an operation that succeeded (pending: one pass, without the long-poll wait)',
      ['operation'],
    );
    metrics.registerLabelledGauge(
      'brain_contextsync_pending',
      `Messages pending per recipient (measured at most every ${BACKLOG_MEASURE_EVERY_MS / 1000} s)`,
      ['agent'],
      async () => (await this.backlog.get()).map((a) => ({ labels: { agent: a.agentId }, value: a.pending })),
    );
    metrics.registerLabelledGauge(
      'brain_contextsync_dead_letters',
      `Dead letters per agent (measured at most every ${BACKLOG_MEASURE_EVERY_MS / 1000} s)`,
      ['agent'],
      async () =>
        (await this.backlog.get()).map((a) => ({ labels: { agent: a.agentId }, value: a.deadLetters })),
    );
  }

  /** Where the backlog gauges read from (ContextSyncService, which owns the counters' meaning). */
  measureBacklogWith(measure: () => Promise<AgentBacklog[]>): void {
    this.measureBacklog = measure;
  }

  count(agent: string, status: MessageEvent, howMany = 1): void {
    if (howMany > 0) this.messages.inc({ agent, status }, howMany);
  }

  /** Runs `work` and records how long it took, if it succeeded (failures show in the HTTP metrics). */
  async time<T>(operation: SyncOperation, work: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    const result = await work();
    this.observe(operation, startedAt);
    return result;
  }

  /** Records an operation that succeeded and started at `startedAt` (performance.now()), as `time` does. */
  observe(operation: SyncOperation, startedAt: number): void {
    this.latency.observe(this.operationLabels[operation], (performance.now() - startedAt) / 1000);
  }
}
