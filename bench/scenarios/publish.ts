import { Redis } from 'ioredis';
import { benchEnvironment } from '../lib/environment';
import { startBrainInProcess } from '../lib/brain-instance';
import { closedLoop } from '../lib/closed-loop';
import { withRedisCpu } from '../lib/redis-cpu';
import { SAMPLE_CONTEXT, SAMPLE_TYPE, streamFields } from '../lib/message';
import { Figure, ratioOf, ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { median, round } from '../lib/stats';

const SENDER = 'bench-sender';
const TARGET = 'bench-target';

/**
 * Scenarios 1 and 2, interleaved so that drift (CPU frequency, other load) hits all three alike: raw XADD of the
 * same fields from an auto-pipelined ioredis client, ContextSyncService.share, and BrainAI.shareContext, each at the
 * same number of publishes in flight. Brain runs with its archiver, as it does in production: moving each message
 * to Postgres is part of what a publish costs this process.
 */
export async function runPublish(settings: BenchSettings): Promise<ScenarioOutcome[]> {
  const rawEnv = benchEnvironment('bench-raw');
  const brainEnv = benchEnvironment('bench-publish');
  const raw = new Redis(rawEnv.config.redis.url, { enableAutoPipelining: true });
  const rawStream = `${rawEnv.config.redis.prefix}:{raw}:stream`;
  const instance = await startBrainInProcess(brainEnv.config);
  try {
    await instance.registerAgent(SENDER);
    await instance.registerAgent(TARGET);
    const request = { sourceAgent: SENDER, targetAgent: TARGET, context: SAMPLE_CONTEXT, type: SAMPLE_TYPE };
    const runs = { raw: [] as number[], share: [] as number[], facade: [] as number[] };
    // Redis CPU per message (µs) and Redis busy % during each run: tells whether Redis or this process is the limit.
    const redisCost = { raw: [] as number[][], share: [] as number[][], facade: [] as number[][] };
    const failures: string[] = [];
    const measure = async (kind: keyof typeof runs, operation: () => Promise<unknown>) => {
      const { result, redisCpuSeconds, redisCpuPercent } = await withRedisCpu(raw, () =>
        closedLoop(operation, settings.concurrency, settings.seconds),
      );
      if (result.failed > 0) failures.push(`${result.failed} failed: ${result.firstError}`);
      runs[kind].push(result.opsPerSecond);
      redisCost[kind].push([(redisCpuSeconds / Math.max(1, result.completed)) * 1e6, redisCpuPercent]);
    };
    // Warm-up (JIT, connections, script cache), not counted.
    await closedLoop(() => raw.xadd(rawStream, '*', ...streamFields()), settings.concurrency, 1);
    await closedLoop(() => instance.contextSync.publishMessage(request), settings.concurrency, 1);
    for (let round = 0; round < settings.repeats; round++) {
      await raw.del(rawStream);
      await measure('raw', () => raw.xadd(rawStream, '*', ...streamFields()));
      await measure('share', () => instance.contextSync.publishMessage(request));
      await measure('facade', () => instance.brain.shareContext(request));
    }
    const rawMedian = median(runs.raw);
    const reference = { name: 'raw XADD (1)', value: round(rawMedian), unit: 'msg/s' };
    const redisNote = (kind: keyof typeof runs) =>
      `Redis ${round(median(redisCost[kind].map(([us]) => us)), 1)} µs CPU/msg, Redis ${round(median(redisCost[kind].map(([, pct]) => pct)))} % busy`;
    const figure = (name: string, kind: keyof typeof runs, issueGoal?: number): Figure => {
      const list = runs[kind];
      const value = median(list);
      const ratio = ratioOf(value, rawMedian);
      return {
        issueGoal,
        name,
        value: round(value),
        unit: 'msg/s',
        runs: list.map((v) => round(v)),
        reference,
        ratio: round(ratio, 3),
        goal: '≥ 0.5 × raw',
        met: ratio >= 0.5,
        note: redisNote(kind),
      };
    };
    const facadeFigures: Figure[] = [
      figure('BrainAI.shareContext', 'facade', 5),
      figure('ContextSyncService.share', 'share'),
    ];
    return [
      {
        id: 1,
        title: 'Raw limit: XADD from ioredis (auto-pipelined)',
        figures: [
          {
            name: `XADD, same fields, ${settings.concurrency} in flight`,
            value: round(rawMedian),
            unit: 'msg/s',
            runs: runs.raw.map((v) => round(v)),
            note: `the ceiling for the publish path; ${redisNote('raw')}`,
          },
        ],
      },
      {
        id: 2,
        title: 'Facade publish, in process',
        figures: facadeFigures,
        details: {
          concurrency: settings.concurrency,
          seconds: settings.seconds,
          failures,
          redisCpuPerMessageUsAndBusyPercent: redisCost,
        },
      },
    ];
  } finally {
    raw.disconnect();
    await instance.close();
    await rawEnv.dispose();
    await brainEnv.dispose();
  }
}
