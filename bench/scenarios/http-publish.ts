import { benchEnvironment } from '../lib/environment';
import { publishRequests, startHttpTarget, waitForArchive, missingInPostgres } from '../lib/http-target';
import { openLoop, OpenLoopResult } from '../lib/open-loop';
import { Figure, ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { median, round } from '../lib/stats';

export interface LossRecord {
  label: string;
  created: number;
  missing: number;
  archiveCaughtUp: boolean;
}

/** Goal of scenario 3 at its top rate. */
export const TARGET_RATE = 10_000;
const TARGET_P99_MS = 10;

/**
 * Scenario 3: the real app in its own process, POST /v1/messages at fixed rates from the open-loop generator in
 * this process (both on this machine's cores). Between runs the archive catches up, so one run's backlog does not
 * tax the next. Every id answered 201 is then looked up in Postgres (scenario 8).
 */
export async function runHttpPublish(
  settings: BenchSettings,
): Promise<{ outcome: ScenarioOutcome; loss: LossRecord; sustainedRate: number }> {
  const env = benchEnvironment('bench-http');
  const app = await startHttpTarget(env);
  const created: string[] = [];
  try {
    const requests = publishRequests(app);
    // Warm-up: JIT, connection pools, script cache.
    await openLoop({ ...requests, rate: 1000, seconds: settings.quick ? 1 : 5, connections: 32, created });
    await waitForArchive(app, 60_000);
    const byRate = new Map<number, (OpenLoopResult & { appCpuPercent: number })[]>();
    for (let repeat = 0; repeat < settings.httpRepeats; repeat++) {
      for (const rate of settings.httpRates) {
        const cpuBefore = app.cpuSeconds();
        const result = await openLoop({
          ...requests,
          rate,
          seconds: settings.httpSeconds,
          connections: settings.httpConnections,
          created,
        });
        const appCpuPercent = ((app.cpuSeconds() - cpuBefore) / settings.httpSeconds) * 100;
        byRate.set(rate, [...(byRate.get(rate) ?? []), { ...result, appCpuPercent }]);
        await waitForArchive(app, 120_000);
      }
    }
    const figures: Figure[] = [];
    let sustainedRate = 0;
    for (const [rate, runs] of byRate) {
      const achieved = median(runs.map((r) => r.achievedRate));
      const p50 = median(runs.map((r) => r.p50Ms));
      const p95 = median(runs.map((r) => r.p95Ms));
      const p99 = median(runs.map((r) => r.p99Ms));
      const errors = runs.reduce((sum, r) => sum + r.errorCount, 0);
      const appCpu = median(runs.map((r) => r.appCpuPercent));
      const generatorCpu = median(runs.map((r) => r.generatorCpuPercent));
      const isGoalRate = rate === TARGET_RATE;
      const sustained = achieved >= rate * 0.99 && errors === 0;
      if (sustained && p99 < 100) sustainedRate = Math.max(sustainedRate, rate);
      figures.push({
        name: `POST /v1/messages at ${rate.toLocaleString('en-US')} req/s: achieved`,
        value: round(achieved),
        unit: 'req/s',
        runs: runs.map((r) => round(r.achievedRate)),
        reference: { name: 'offered', value: rate, unit: 'req/s' },
        ratio: round(achieved / rate, 3),
        goal: isGoalRate ? '10,000 req/s sustained' : undefined,
        met: isGoalRate ? sustained : undefined,
        note: `${errors} errors${errors > 0 ? `: ${JSON.stringify(mergeErrors(runs))}` : ''}; app CPU ${round(appCpu)} %, generator CPU ${round(generatorCpu)} %`,
      });
      figures.push({
        name: `POST /v1/messages at ${rate.toLocaleString('en-US')} req/s: p99 latency`,
        value: round(p99, 2),
        unit: 'ms',
        runs: runs.map((r) => round(r.p99Ms, 2)),
        goal: isGoalRate ? `p99 < ${TARGET_P99_MS} ms` : undefined,
        met: isGoalRate ? p99 < TARGET_P99_MS : undefined,
        note: `p50 ${round(p50, 2)} ms, p95 ${round(p95, 2)} ms, max ${round(median(runs.map((r) => r.maxMs)), 1)} ms`,
      });
    }
    const caughtUp = await waitForArchive(app, 120_000);
    const missing = await missingInPostgres(env.config.database.url, created);
    return {
      outcome: {
        id: 3,
        title: 'HTTP publish, open loop',
        figures,
        details: {
          connections: settings.httpConnections,
          seconds: settings.httpSeconds,
          runs: Object.fromEntries([...byRate].map(([rate, runs]) => [rate, runs])),
          note: "latency is measured from each request's scheduled send time (corrects for coordinated omission)",
        },
      },
      loss: { label: 'scenario 3', created: created.length, missing, archiveCaughtUp: caughtUp },
      sustainedRate,
    };
  } finally {
    await app.stop();
    await env.dispose();
  }
}

function mergeErrors(runs: OpenLoopResult[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const run of runs) {
    for (const [reason, n] of Object.entries(run.errors)) merged[reason] = (merged[reason] ?? 0) + n;
  }
  return merged;
}
