import { Redis } from 'ioredis';
import { scanKeys } from '../../test/support/test-environment';
import { benchEnvironment } from '../lib/environment';
import { startContextSync } from '../../test/support/context-sync-harness';
import { runTimes } from '../lib/closed-loop';
import { SAMPLE_CONTEXT, SAMPLE_TYPE, streamFields } from '../lib/message';
import { Figure, ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { pollUntil, round } from '../lib/stats';

const SENDER = 'bench-sender';
const TARGET = 'bench-target';
const MEMORY_GOAL = 1.5;

/** Bytes of every key under the prefix (MEMORY USAGE, exact), grouped by what the key is. */
async function bytesByKind(redis: Redis, keys: string[]): Promise<Record<string, number>> {
  const usage = await Promise.all(keys.map((key) => redis.memory('USAGE', key, 'SAMPLES', 0)));
  const kinds: Record<string, number> = {};
  keys.forEach((key, i) => {
    const kind = /:\{msg:/.test(key) ? 'id claims ({msg:<id>})' : (/\}:([a-z]+)/.exec(key)?.[1] ?? 'other');
    kinds[kind] = (kinds[kind] ?? 0) + (usage[i] ?? 0);
  });
  return kinds;
}

const sum = (kinds: Record<string, number>) => Object.values(kinds).reduce((total, n) => total + n, 0);

/**
 * Scenario 7: Redis bytes per message once N messages are published to one agent and archived (the steady state of
 * a full stream: BRAIN_STREAM_MAXLEN entries), and again once the agent has fetched and acknowledged them all,
 * against a plain stream holding the same fields. Bytes are MEMORY USAGE of every key of the scenario's prefix,
 * less what the two registered agents held before the first message.
 */
export async function runMemory(settings: BenchSettings): Promise<ScenarioOutcome[]> {
  const env = benchEnvironment('bench-memory');
  const instance = await startContextSync(env.config);
  const { contextSync } = instance;
  const redis = new Redis(env.config.redis.url, { enableAutoPipelining: true });
  const prefix = env.config.redis.prefix;
  const n = settings.memoryMessages;
  try {
    await contextSync.registerAgent(SENDER, 'bench-token-hash');
    await contextSync.registerAgent(TARGET, 'bench-token-hash');
    const baseline = sum(await bytesByKind(redis, await scanKeys(env.config, `${prefix}:*`)));
    const publish = () =>
      contextSync.publishMessage({
        sourceAgent: SENDER,
        targetAgent: TARGET,
        context: SAMPLE_CONTEXT,
        type: SAMPLE_TYPE,
      });
    await runTimes(n, settings.concurrency, publish);
    const archived = () =>
      pollUntil(async () => (await contextSync.getStats()).archiveLag === 0, 120_000, 100);
    await archived();
    const afterPublish = await bytesByKind(redis, await scanKeys(env.config, `${prefix}:*`));

    const plain = `${prefix}:{plain}:stream`;
    await runTimes(n, settings.concurrency, () => redis.xadd(plain, '*', ...streamFields()));
    const plainBytes = Number(await redis.memory('USAGE', plain, 'SAMPLES', 0));
    await redis.del(plain);

    let acknowledged = 0;
    while (acknowledged < n) {
      const batch = await contextSync.getPendingMessages(TARGET, { consumer: 'c1', count: 1000 });
      if (batch.length === 0) break;
      acknowledged += await contextSync.acknowledgeMany(
        TARGET,
        batch.map((m) => m.id),
      );
    }
    await archived();
    const afterAck = await bytesByKind(redis, await scanKeys(env.config, `${prefix}:*`));

    const perMessage = (kinds: Record<string, number>) => (sum(kinds) - baseline) / n;
    const plainPerMessage = plainBytes / n;
    const figure = (name: string, kinds: Record<string, number>): Figure => {
      const value = perMessage(kinds);
      const ratio = value / plainPerMessage;
      return {
        issueGoal: 7,
        name,
        value: round(value),
        unit: 'B/msg',
        reference: { name: 'plain stream, same fields', value: round(plainPerMessage), unit: 'B/msg' },
        ratio: round(ratio, 3),
        goal: `≤ ${MEMORY_GOAL} × plain`,
        met: ratio <= MEMORY_GOAL,
        note: Object.entries(kinds)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([kind, bytes]) => `${kind} ${round(bytes / n)}`)
          .join(', '),
      };
    };
    return [
      {
        id: 7,
        title: 'Redis memory per message',
        figures: [
          figure(`${n.toLocaleString('en-US')} messages published and archived, not yet read`, afterPublish),
          figure('the same, after lease-fetch and acknowledgement', afterAck),
        ],
        details: { messages: n, baseline, afterPublish, afterAck, plainBytes, acknowledged },
      },
    ];
  } finally {
    redis.disconnect();
    await instance.close();
    await env.dispose();
  }
}
