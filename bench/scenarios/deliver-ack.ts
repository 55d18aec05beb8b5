import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { benchEnvironment } from '../lib/environment';
import { BrainInstance, startBrainInProcess } from '../lib/brain-instance';
import { runTimes } from '../lib/closed-loop';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from '../lib/message';
import { Figure, ratioOf, ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { median, round } from '../lib/stats';
import { NATS, natsRun, RABBITMQ, rabbitRun, reachable } from './deliver-ack-peers';

const SENDER = 'bench-sender';
/** Messages per fetch and per acknowledgement batch; BullMQ's worker gets the same number of jobs in flight. */
const BATCH = 100;
const RUN_TIMEOUT_MS = 180_000;
const STALL_MS = 15_000;
const GOAL = 1.2;

/**
 * Scenario 4: N messages published and consumed end to end, Brain (a lease-mode consumer fetching BATCH at a time and
 * acknowledging them in one call) against BullMQ (Queue.add + a Worker with concurrency BATCH and a no-op
 * processor), same Redis, same N, same publishers in flight. "end to end" runs producers and consumer together;
 * "drain" consumes a backlog published beforehand (consumer side alone).
 */
export async function runDeliverAck(settings: BenchSettings): Promise<ScenarioOutcome[]> {
  const n = settings.deliverMessages;
  // Length trimming (BRAIN_STREAM_MAXLEN, default 10,000) drops the oldest entries of a longer stream once they are
  // archived, read or not; a backlog of n must fit, or the consumer would wait for messages no longer in Redis.
  const env = benchEnvironment('bench-deliver', { BRAIN_STREAM_MAXLEN: String(Math.max(10_000, 2 * n)) });
  const instance = await startBrainInProcess(env.config);
  const url = new URL(env.config.redis.url);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const bullPrefix = `${env.config.redis.prefix}:bull`;
  const repeats = Math.min(settings.repeats, 3);
  const runs = {
    brainE2e: [] as number[],
    bullE2e: [] as number[],
    brainDrain: [] as number[],
    bullDrain: [] as number[],
    rabbitE2e: [] as number[],
    natsE2e: [] as number[],
  };
  const peers = {
    rabbit: { label: 'RabbitMQ', at: RABBITMQ, run: rabbitRun, runs: runs.rabbitE2e, skipped: '' },
    nats: { label: 'NATS JetStream', at: NATS, run: natsRun, runs: runs.natsE2e, skipped: '' },
  };
  for (const peer of Object.values(peers)) {
    if (!(await reachable(peer.at.host, peer.at.port)))
      peer.skipped = `skipped: nothing listens at ${peer.at.host}:${peer.at.port}`;
  }
  try {
    await instance.registerAgent(SENDER);
    for (let repeat = 0; repeat < repeats; repeat++) {
      runs.brainE2e.push(await brainRun(instance, `bench-worker-e${repeat}`, n, settings.concurrency, 'e2e'));
      runs.bullE2e.push(
        await bullRun(connection, bullPrefix, `e2e${repeat}`, n, settings.concurrency, 'e2e'),
      );
      runs.brainDrain.push(
        await brainRun(instance, `bench-worker-d${repeat}`, n, settings.concurrency, 'drain'),
      );
      runs.bullDrain.push(
        await bullRun(connection, bullPrefix, `drain${repeat}`, n, settings.concurrency, 'drain'),
      );
      for (const peer of Object.values(peers)) {
        if (peer.skipped) continue;
        try {
          peer.runs.push(await peer.run(n, settings.concurrency, BATCH));
        } catch (error) {
          peer.skipped = `skipped: ${(error as Error).message}`;
        }
      }
    }
  } finally {
    await instance.close();
    await env.dispose();
  }
  const peerFigure = (peer: (typeof peers)[keyof typeof peers]): Figure => {
    const value = median(peer.runs);
    return {
      issueGoal: 6, // side by side with the goal's row; no target of its own
      name: `${peer.label} end to end: publish confirmed, ${BATCH} in flight to the consumer, ack each`,
      value: peer.skipped ? NaN : round(value),
      unit: 'msg/s',
      runs: peer.runs.map((v) => round(v)),
      reference: { name: 'BullMQ end to end', value: round(median(runs.bullE2e)), unit: 'msg/s' },
      ratio: peer.skipped ? undefined : round(ratioOf(value, median(runs.bullE2e)), 3),
      note: peer.skipped || undefined,
    };
  };
  const peerNote = Object.values(peers)
    .map(
      (peer) =>
        `${peer.label} ${peer.skipped ? peer.skipped : `${round(median(peer.runs)).toLocaleString('en-US')} msg/s`}`,
    )
    .join('; ');
  const pair = (label: string, brain: number[], bull: number[], goal: boolean): Figure[] => {
    const brainMedian = median(brain);
    const bullMedian = median(bull);
    const ratio = ratioOf(brainMedian, bullMedian);
    return [
      {
        name: `Brain ${label}: publish, lease-fetch ${BATCH}, ack ${BATCH}`,
        value: round(brainMedian),
        unit: 'msg/s',
        runs: brain.map((v) => round(v)),
        reference: { name: `BullMQ ${label}`, value: round(bullMedian), unit: 'msg/s' },
        ratio: round(ratio, 3),
        goal: goal ? `≥ ${GOAL} × BullMQ` : undefined,
        met: goal ? ratio >= GOAL : undefined,
        issueGoal: goal ? 6 : undefined,
        note: goal ? peerNote : undefined,
      },
      {
        name: `BullMQ ${label}: add, Worker concurrency ${BATCH}`,
        value: round(bullMedian),
        unit: 'msg/s',
        runs: bull.map((v) => round(v)),
      },
    ];
  };
  return [
    {
      id: 4,
      title: 'Deliver + acknowledge vs BullMQ',
      figures: [
        ...pair('end to end', runs.brainE2e, runs.bullE2e, true),
        peerFigure(peers.rabbit),
        peerFigure(peers.nats),
        ...pair('drain', runs.brainDrain, runs.bullDrain, false),
      ],
      details: {
        messages: n,
        batch: BATCH,
        publishersInFlight: settings.concurrency,
        brainStreamMaxLen: env.config.messages.streamMaxLen,
        peers: Object.fromEntries(Object.values(peers).map((p) => [p.label, p.skipped || 'ran'])),
        runs,
      },
    },
  ];
}

async function brainRun(
  instance: BrainInstance,
  worker: string,
  n: number,
  concurrency: number,
  mode: 'e2e' | 'drain',
): Promise<number> {
  const { contextSync } = instance;
  await instance.registerAgent(worker);
  const deadline = performance.now() + RUN_TIMEOUT_MS;
  const produce = () =>
    runTimes(n, concurrency, () =>
      contextSync.publishMessage({
        sourceAgent: SENDER,
        targetAgent: worker,
        context: SAMPLE_CONTEXT,
        type: SAMPLE_TYPE,
      }),
    );
  const consume = async () => {
    let acknowledged = 0;
    let progressAt = performance.now();
    while (acknowledged < n) {
      const now = performance.now();
      if (now > deadline || now - progressAt > STALL_MS)
        throw new Error(`Brain consumer got nothing more after ${acknowledged} of ${n} messages`);
      const batch = await contextSync.getPendingMessages(worker, {
        consumer: 'c1',
        count: BATCH,
        waitMs: 100,
      });
      if (batch.length === 0) continue;
      acknowledged += await contextSync.acknowledgeMany(
        worker,
        batch.map((m) => m.id),
      );
      progressAt = performance.now();
    }
  };
  if (mode === 'drain') await produce();
  const started = performance.now();
  await Promise.all(mode === 'e2e' ? [produce(), consume()] : [consume()]);
  return n / ((performance.now() - started) / 1000);
}

async function bullRun(
  connection: { host: string; port: number; maxRetriesPerRequest: null },
  prefix: string,
  name: string,
  n: number,
  concurrency: number,
  mode: 'e2e' | 'drain',
): Promise<number> {
  const queue = new Queue(`bench-${name}`, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  const data = (i: number) => ({
    from: SENDER,
    type: SAMPLE_TYPE,
    payload: SAMPLE_CONTEXT,
    ts: Date.now(),
    i,
  });
  const produce = () => runTimes(n, concurrency, (i) => queue.add('message', data(i)));
  if (mode === 'drain') {
    for (let i = 0; i < n; i += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ name: 'message', data: data(i + k) })),
      );
    }
  }
  let completed = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const worker = new Worker(`bench-${name}`, () => Promise.resolve(), {
    connection,
    prefix,
    concurrency: BATCH,
  });
  worker.on('completed', () => {
    completed += 1;
    if (completed === n) finish();
  });
  const timeout = setTimeout(finish, RUN_TIMEOUT_MS);
  try {
    await Promise.all(mode === 'e2e' ? [produce(), done] : [done]);
    if (completed < n) throw new Error(`BullMQ worker timed out after ${completed} of ${n}`);
    return n / ((performance.now() - started) / 1000);
  } finally {
    clearTimeout(timeout);
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
