import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ADMIN_TOKEN } from '../../test/support/test-environment';
import { AppProcess, callApp } from '../lib/app-process';
import { benchEnvironment } from '../lib/environment';
import { HTTP_SENDER, registerAgents, RegisteredAgent, startHttpTarget } from '../lib/http-target';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from '../lib/message';
import { openLoop, OpenLoopResult } from '../lib/open-loop';
import { processResources, ProcessResources } from '../lib/process-resources';
import { AckBatcher, EventStreamClient, LongPollConsumer, openEventStream } from '../lib/push-consumers';
import { Figure, ratioOf, ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { median, percentile, pollUntil, round, sleep } from '../lib/stats';

/** Recipients of each kind: at 1,000 msg/s each gets 25 msg/s, well inside the per-agent rate limit with its polls. */
const AGENTS_PER_KIND = 20;
const CONSUMER = 'bench';
const ACK_EVERY_MS = 500;
const POLL_WAIT_MS = 5000;
const CONTRACT_PUSH_MS = 100;
const OPEN_AT_ONCE = 50;

type Kind = 'sse' | 'poll';

interface Delivery {
  publish: OpenLoopResult;
  /** CPU (user + system) the app used during the measured run, its drain included. */
  appCpuSeconds: number;
  latencies: Record<Kind, Float64Array>;
  /** Published (201) and never received by the end of the drain. */
  missing: Record<Kind, number>;
  /** Received more than once (a lease that expired before its acknowledgement, or a push sent twice). */
  duplicates: number;
  polls: number;
  consumerErrors: number;
  acknowledged: number;
}

interface HeldStreams {
  streams: number;
  openSeconds: number;
  /** CPU the app used to accept the streams (auth, first read, subscription). */
  openCpuSeconds: number;
  before: ProcessResources;
  after: ProcessResources;
  /** Per broadcast: ms from the publish call's start to the last stream's event, and to the median stream's. */
  broadcastAllMs: number[];
  broadcastMedianMs: number[];
  endedEarly: number;
}

/**
 * Push vs long poll (issue 15), against the built app in its default configuration (BRAIN_MAX_WAITERS raised so
 * that the held streams fit). (1) Delivery latency: an open loop publishes at BENCH_PUSH_RATE (1,000 msg/s) over
 * HTTP, alternating between agents that hold an event stream and agents that long-poll (both lease mode, consumer
 * `bench`; a poller re-polls as soon as an answer arrives; both acknowledge in batches every 500 ms, off the receive
 * path). Latency runs from the start of the publish call to the moment the event (or poll answer) reaches the
 * consumer. (2) BENCH_PUSH_STREAMS (500) streams held open on the one process: its memory, descriptors and Redis
 * connections before and after, and how long a broadcast takes to reach all of them.
 */
export async function runPush(settings: BenchSettings): Promise<ScenarioOutcome> {
  const env = benchEnvironment('bench-push', { BRAIN_MAX_WAITERS: String(settings.pushStreams + 100) });
  const app = await startHttpTarget(env);
  try {
    const t0 = performance.now();
    const delivery = await measureDelivery(app, settings);
    const t1 = performance.now();
    const held = await holdStreams(app, settings, env.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const phaseSeconds = {
      delivery: round((t1 - t0) / 1000, 1),
      held: round((performance.now() - t1) / 1000, 1),
    };
    return {
      id: 12,
      title: `Push: SSE vs long poll at ${settings.pushRate} msg/s; ${settings.pushStreams} streams held`,
      figures: [...deliveryFigures(delivery, settings), ...streamFigures(held)],
      details: {
        rate: settings.pushRate,
        seconds: settings.pushSeconds,
        publish: delivery.publish,
        missing: delivery.missing,
        duplicates: delivery.duplicates,
        polls: delivery.polls,
        consumerErrors: delivery.consumerErrors,
        acknowledged: delivery.acknowledged,
        held,
        phaseSeconds,
      },
    };
  } finally {
    await app.stop();
    await env.dispose();
  }
}

async function measureDelivery(app: AppProcess, settings: BenchSettings): Promise<Delivery> {
  const agents: Record<Kind, RegisteredAgent[]> = {
    sse: await registerAgents(app, ids('push-sse', AGENTS_PER_KIND)),
    poll: await registerAgents(app, ids('push-poll', AGENTS_PER_KIND)),
  };
  const sent = new Map<string, { at: number; kind: Kind; measured: boolean }>();
  const samples: Record<Kind, number[]> = { sse: [], poll: [] };
  const received = new Set<string>();
  let duplicates = 0;
  const batchers = new Map<string, AckBatcher>();
  const receiver = (agent: RegisteredAgent) => {
    const batcher = new AckBatcher(app, agent, ACK_EVERY_MS);
    batchers.set(agent.id, batcher);
    return (messageId: string, at: number) => {
      batcher.add(messageId);
      if (received.has(messageId)) duplicates += 1;
      received.add(messageId);
      const publish = sent.get(messageId);
      if (!publish) return;
      sent.delete(messageId);
      if (publish.measured) samples[publish.kind].push(at - publish.at);
    };
  };
  const streams: EventStreamClient[] = [];
  for (const agent of agents.sse)
    streams.push(await openEventStream(app, agent, `?consumer=${CONSUMER}`, receiver(agent)));
  const pollers = agents.poll.map(
    (agent) =>
      new LongPollConsumer(
        app,
        agent,
        `?consumer=${CONSUMER}&wait=${POLL_WAIT_MS}&count=100`,
        receiver(agent),
      ),
  );
  pollers.forEach((poller) => poller.start());

  const publish = async (seconds: number, measured: boolean) => {
    const created: string[] = [];
    const result = await openLoop({
      host: app.host,
      port: app.port,
      path: '/v1/messages',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      rate: settings.pushRate,
      seconds,
      connections: 32,
      created,
      request: (i) => {
        const kind: Kind = i % 2 === 0 ? 'sse' : 'poll';
        const to = agents[kind][Math.floor(i / 2) % AGENTS_PER_KIND];
        const id = randomUUID();
        sent.set(id, { at: performance.now(), kind, measured });
        const body = {
          id,
          sourceAgent: HTTP_SENDER,
          targetAgent: to.id,
          type: SAMPLE_TYPE,
          context: SAMPLE_CONTEXT,
        };
        return { id, body: JSON.stringify(body) };
      },
    });
    // Whatever was answered 201 must arrive; a publish that failed never will, so it is not waited for.
    const createdIds = new Set(created);
    for (const [id] of sent) if (!createdIds.has(id)) sent.delete(id);
    await pollUntil(() => sent.size === 0, 10_000, 20);
    return result;
  };
  try {
    // Warm-up (JIT, connections, the subscriber's channels): the same load, not measured.
    await publish(settings.quick ? 1 : 3, false);
    sent.clear();
    const cpuBefore = app.cpuSeconds();
    const result = await publish(settings.pushSeconds, true);
    const appCpuSeconds = app.cpuSeconds() - cpuBefore;
    const missing: Record<Kind, number> = { sse: 0, poll: 0 };
    for (const { kind } of sent.values()) missing[kind] += 1;
    return {
      publish: result,
      appCpuSeconds,
      latencies: { sse: sorted(samples.sse), poll: sorted(samples.poll) },
      missing,
      duplicates,
      polls: pollers.reduce((sum, poller) => sum + poller.polls, 0),
      consumerErrors:
        pollers.reduce((sum, poller) => sum + poller.errors, 0) +
        streams.filter((stream) => stream.endedBy !== undefined).length +
        [...batchers.values()].reduce((sum, batcher) => sum + batcher.errors, 0),
      acknowledged: [...batchers.values()].reduce((sum, batcher) => sum + batcher.acknowledged, 0),
    };
  } finally {
    streams.forEach((stream) => stream.close());
    await Promise.all(pollers.map((poller) => poller.stop()));
    await Promise.all([...batchers.values()].map((batcher) => batcher.stop()));
  }
}

async function holdStreams(app: AppProcess, settings: BenchSettings, redisUrl: string): Promise<HeldStreams> {
  const agents = await registerAgents(app, ids('push-hold', settings.pushStreams));
  // The delivery run's streams and polls are gone; let the app settle before the baseline.
  await sleep(1000);
  const before = await processResources(app, redisUrl);
  const broadcasts = new Map<string, number[]>();
  const onReceived = (messageId: string, at: number) => broadcasts.get(messageId)?.push(at);
  const streams: EventStreamClient[] = [];
  const openedAt = performance.now();
  const cpuBefore = app.cpuSeconds();
  try {
    for (let i = 0; i < agents.length; i += OPEN_AT_ONCE) {
      const batch = agents.slice(i, i + OPEN_AT_ONCE);
      streams.push(...(await Promise.all(batch.map((agent) => openEventStream(app, agent, '', onReceived)))));
    }
    const openSeconds = (performance.now() - openedAt) / 1000;
    const openCpuSeconds = app.cpuSeconds() - cpuBefore;
    await sleep(1000);
    const after = await processResources(app, redisUrl);
    const broadcastAllMs: number[] = [];
    const broadcastMedianMs: number[] = [];
    for (let n = 0; n < (settings.quick ? 2 : 5); n++) {
      const id = randomUUID();
      const arrivals: number[] = [];
      broadcasts.set(id, arrivals);
      const start = performance.now();
      const { status } = await callApp(app, 'POST', '/v1/broadcasts', ADMIN_TOKEN, {
        id,
        sourceAgent: HTTP_SENDER,
        type: SAMPLE_TYPE,
        context: SAMPLE_CONTEXT,
      });
      if (status !== 201) throw new Error(`POST /v1/broadcasts answered ${status}`);
      if (!(await pollUntil(() => arrivals.length >= streams.length, 10_000, 5)))
        throw new Error(`a broadcast reached ${arrivals.length} of ${streams.length} streams within 10 s`);
      const sortedArrivals = sorted(arrivals.map((at) => at - start));
      broadcastAllMs.push(sortedArrivals[sortedArrivals.length - 1]);
      broadcastMedianMs.push(percentile(sortedArrivals, 50));
      await sleep(200);
    }
    return {
      streams: streams.length,
      openSeconds,
      openCpuSeconds,
      before,
      after,
      broadcastAllMs,
      broadcastMedianMs,
      endedEarly: streams.filter((stream) => stream.endedBy !== undefined).length,
    };
  } finally {
    streams.forEach((stream) => stream.close());
  }
}

function deliveryFigures(delivery: Delivery, settings: BenchSettings): Figure[] {
  const { sse, poll } = delivery.latencies;
  const lost = delivery.missing.sse + delivery.missing.poll;
  const common =
    `${settings.pushRate} msg/s open loop for ${settings.pushSeconds} s, half to ${AGENTS_PER_KIND} SSE agents, ` +
    `half to ${AGENTS_PER_KIND} long-polling ones; lease mode, batched acks every ${ACK_EVERY_MS} ms`;
  return ([50, 95, 99] as const).map((p) => {
    const value = percentile(sse, p);
    const reference = percentile(poll, p);
    const figure: Figure = {
      name: `SSE delivery (publish call → event received): p${p}`,
      value: round(value, 2),
      unit: 'ms',
      reference: { name: `long poll p${p}`, value: round(reference, 2), unit: 'ms' },
      ratio: round(ratioOf(value, reference), 3),
    };
    if (p === 50) {
      figure.note =
        `${common}; ${sse.length} + ${poll.length} received, ${lost} missing, ${delivery.duplicates} duplicates, ` +
        `${delivery.consumerErrors} consumer errors; publish ${round(delivery.publish.achievedRate)} of ` +
        `${settings.pushRate} req/s answered, p99 ${round(delivery.publish.p99Ms, 2)} ms, ` +
        `${delivery.publish.errorCount} publish errors; app CPU ` +
        `${round((delivery.appCpuSeconds * 1e6) / Math.max(1, sse.length + poll.length))} µs per message delivered ` +
        `(publish, push or poll, acknowledgement)`;
    }
    if (p === 99) {
      figure.goal = `≤ ${CONTRACT_PUSH_MS} ms (contract: pushed within ${CONTRACT_PUSH_MS} ms), none missing`;
      figure.met = value <= CONTRACT_PUSH_MS && lost === 0 && delivery.publish.errorCount === 0;
    }
    return figure;
  });
}

function streamFigures(held: HeldStreams): Figure[] {
  const { before, after, streams } = held;
  const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
  const redisGrowth = after.redisConnections - before.redisConnections;
  return [
    {
      name: `${streams} SSE streams open: RSS of the app`,
      value: mb(after.rssBytes),
      unit: 'MB',
      reference: { name: 'no stream open', value: mb(before.rssBytes), unit: 'MB' },
      ratio: round(ratioOf(after.rssBytes, before.rssBytes), 3),
      note:
        `${round((after.rssBytes - before.rssBytes) / streams / 1024, 1)} KB RSS and ` +
        `${round((after.heapUsedBytes - before.heapUsedBytes) / streams / 1024, 1)} KB heap per stream; heap ` +
        `${mb(before.heapUsedBytes)} → ${mb(after.heapUsedBytes)} MB (no GC forced); opened in ${round(held.openSeconds, 1)} s using ` +
        `${round((held.openCpuSeconds * 1e6) / streams)} µs of app CPU each`,
    },
    {
      name: `${streams} SSE streams open: Redis connections of the app`,
      value: after.redisConnections,
      unit: '',
      reference: { name: 'no stream open', value: before.redisConnections, unit: '' },
      goal: 'none per stream (growth ≤ 2)',
      met: redisGrowth <= 2,
      note: 'CLIENT LIST entries whose client port is a socket of the app',
    },
    {
      name: `${streams} SSE streams open: file descriptors of the app`,
      value: after.fds,
      unit: '',
      reference: { name: 'no stream open', value: before.fds, unit: '' },
    },
    {
      name: `broadcast reaching all ${streams} streams (publish call → last event)`,
      value: round(median(held.broadcastAllMs), 2),
      unit: 'ms',
      runs: held.broadcastAllMs.map((ms) => round(ms, 2)),
      note:
        `median of ${held.broadcastAllMs.length} broadcasts; median stream ${round(median(held.broadcastMedianMs), 2)} ms; ` +
        `${held.endedEarly} streams ended early`,
    },
  ];
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const sorted = (values: number[]) => Float64Array.from(values).sort();
