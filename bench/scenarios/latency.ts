import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN } from '../../test/support/test-environment';
import { AppProcess, callApp } from '../lib/app-process';
import { runTimes } from '../lib/closed-loop';
import { benchEnvironment } from '../lib/environment';
import { registerAgents, RegisteredAgent, startHttpTarget, waitForArchive } from '../lib/http-target';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from '../lib/message';
import { openLoop, OpenLoopResult, requestHead } from '../lib/open-loop';
import { Figure, ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { round } from '../lib/stats';

/** The design note's expected latency per operation (ms, low–high). */
const EXPECTED: Record<string, [number, number]> = {
  publish: [2, 5],
  'pending(10)': [3, 8],
  ack: [1, 2],
  'history(50)': [5, 10],
  broadcast: [5, 15],
};
const READERS = 10;
const SENDERS = 10;
const FETCH_COUNT = 10;

interface Operation {
  name: keyof typeof EXPECTED;
  expectStatus: number;
  request: (i: number) => { method: string; path: string; token: string; body: string };
}

/**
 * Issue 13 goal 9: the design note's latency table at light load. Each operation alone, open loop at
 * BENCH_LATENCY_RATE (100 req/s) for BENCH_LATENCY_SECONDS over HTTP against the built app, every request from a
 * registered agent with its own token (auth and the rate limit on the path). "Beat each by 2×" is read as:
 * p95 ≤ half the upper end of the note's range, with no errors.
 */
export async function runLatency(settings: BenchSettings): Promise<ScenarioOutcome> {
  const env = benchEnvironment('bench-latency');
  const app = await startHttpTarget(env);
  try {
    const senders = await registerAgents(app, ids('lat-sender', SENDERS));
    const readers = await registerAgents(app, ids('lat-reader', READERS));
    const perRun = Math.floor(settings.latencyRate * settings.latencySeconds);
    // Each pending(10) fetch must find 10 messages: one run's worth of fetches, per reader, published beforehand.
    const queued = await prefill(app, senders[0], readers, Math.ceil(perRun / READERS) * FETCH_COUNT);
    await waitForArchive(app, 120_000);
    const sample = await callApp<{ items: unknown[] }>(app, 'GET', fetchPath(readers[0]), readers[0].token);
    if (sample.status !== 200 || sample.body.items.length !== FETCH_COUNT)
      throw new Error(
        `a pending(${FETCH_COUNT}) fetch answered ${sample.status} with ${sample.body.items?.length} items`,
      );
    // That sample fetch took the reader's first messages; acks go to the ones the pending run delivers next.
    queued[0].splice(0, FETCH_COUNT);

    const operations: Operation[] = [
      {
        name: 'publish',
        expectStatus: 201,
        request: (i) => ({
          method: 'POST',
          path: '/v1/messages',
          token: senders[i % SENDERS].token,
          body: publishBody(senders[i % SENDERS].id, readers[i % READERS].id),
        }),
      },
      {
        name: 'pending(10)',
        expectStatus: 200,
        request: (i) => {
          const reader = readers[i % READERS];
          return { method: 'GET', path: fetchPath(reader), token: reader.token, body: '' };
        },
      },
      {
        name: 'ack',
        expectStatus: 200,
        request: (i) => {
          const reader = readers[i % READERS];
          const id = queued[i % READERS][Math.floor(i / READERS)];
          return { method: 'POST', path: `/v1/messages/${id}/ack`, token: reader.token, body: '{}' };
        },
      },
      {
        name: 'history(50)',
        expectStatus: 200,
        request: (i) => {
          const reader = readers[i % READERS];
          return {
            method: 'GET',
            path: `/v1/agents/${reader.id}/history?limit=50`,
            token: reader.token,
            body: '',
          };
        },
      },
      {
        name: 'broadcast',
        expectStatus: 201,
        request: (i) => ({
          method: 'POST',
          path: '/v1/broadcasts',
          token: senders[i % SENDERS].token,
          body: JSON.stringify({ type: SAMPLE_TYPE, context: SAMPLE_CONTEXT }),
        }),
      },
    ];
    // Warm-up (JIT, connections) on the publish path only: the other runs consume prepared messages.
    await run(app, operations[0], settings.latencyRate, settings.quick ? 1 : 3);
    const figures: Figure[] = [];
    const runs: Record<string, OpenLoopResult> = {};
    for (const operation of operations) {
      if (operation.name === 'history(50)') await waitForArchive(app, 120_000);
      const result = await run(app, operation, settings.latencyRate, settings.latencySeconds);
      runs[operation.name] = result;
      const [low, high] = EXPECTED[operation.name];
      figures.push({
        issueGoal: 9,
        name: `${operation.name}: p95 (p50 ${round(result.p50Ms, 2)} ms)`,
        value: round(result.p95Ms, 2),
        unit: 'ms',
        reference: { name: `design note ${low}–${high} ms, upper`, value: high, unit: 'ms' },
        ratio: round(result.p95Ms / high, 3),
        goal: `p95 ≤ ${high / 2} ms (2× better), 0 errors`,
        met: result.p95Ms <= high / 2 && result.errorCount === 0,
        note: `p99 ${round(result.p99Ms, 2)} ms; ${result.errorCount} errors${result.errorCount ? ` ${JSON.stringify(result.errors)}` : ''}`,
      });
    }
    return {
      id: 11,
      title: `Latency at light load (${settings.latencyRate} req/s, open loop, HTTP)`,
      figures,
      details: { rate: settings.latencyRate, seconds: settings.latencySeconds, runs },
    };
  } finally {
    await app.stop();
    await env.dispose();
  }
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const fetchPath = (reader: RegisteredAgent) => `/v1/agents/${reader.id}/messages?count=${FETCH_COUNT}`;
const publishBody = (from: string, to: string) =>
  JSON.stringify({ sourceAgent: from, targetAgent: to, type: SAMPLE_TYPE, context: SAMPLE_CONTEXT });

/** Publishes `perReader` messages to every reader (ids chosen here, kept in order per reader) before the runs. */
async function prefill(
  app: AppProcess,
  sender: RegisteredAgent,
  readers: RegisteredAgent[],
  perReader: number,
): Promise<string[][]> {
  const queued = readers.map(() => Array.from({ length: perReader }, () => randomUUID()));
  // One publish in flight per reader, so each reader's list is in the order its stream holds the messages.
  await Promise.all(
    readers.map((reader, r) =>
      runTimes(perReader, 1, async (i) => {
        const body = {
          sourceAgent: sender.id,
          targetAgent: reader.id,
          type: SAMPLE_TYPE,
          context: SAMPLE_CONTEXT,
        };
        const { status } = await callApp(app, 'POST', '/v1/messages', ADMIN_TOKEN, {
          ...body,
          id: queued[r][i],
        });
        if (status !== 201) throw new Error(`prefill publish answered ${status}`);
      }),
    ),
  );
  return queued;
}

function run(app: AppProcess, operation: Operation, rate: number, seconds: number): Promise<OpenLoopResult> {
  const heads = new Map<string, string>();
  const headFor = (method: string, path: string, token: string) => {
    const key = `${method} ${path} ${token}`;
    let head = heads.get(key);
    if (!head) {
      head = requestHead(method, path, app.host, app.port, { Authorization: `Bearer ${token}` });
      if (heads.size < 10_000) heads.set(key, head);
    }
    return head;
  };
  return openLoop({
    host: app.host,
    port: app.port,
    path: '/',
    headers: {},
    rate,
    seconds,
    connections: 16,
    expectStatus: operation.expectStatus,
    request: (i) => {
      const { method, path, token, body } = operation.request(i);
      return { id: String(i), body, head: headFor(method, path, token) };
    },
  });
}
