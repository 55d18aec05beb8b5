import { benchEnvironment } from '../lib/environment';
import { startContextSync } from '../../test/support/context-sync-harness';
import { closedLoop } from '../lib/closed-loop';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from '../lib/message';
import { Figure, ratioOf, ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { median, round } from '../lib/stats';

/**
 * Scenario 5: broadcast publish throughput with 10, 100 and 1,000 registered agents (all members of the broadcast
 * mailbox). A broadcast is one append to a shared stream, so the figure should not move with the member count.
 * Agents are registered in Redis only (ContextSync, no HTTP), the way the registry mirrors them.
 */
export async function runBroadcast(settings: BenchSettings): Promise<ScenarioOutcome[]> {
  const env = benchEnvironment('bench-broadcast');
  const instance = await startContextSync(env.config);
  const { contextSync } = instance;
  const counts = [...settings.broadcastAgents].sort((a, b) => a - b);
  const runs = new Map<number, number[]>();
  let registered = 0;
  try {
    for (const count of counts) {
      while (registered < count) {
        const batch = Array.from(
          { length: Math.min(50, count - registered) },
          (_, i) => `agent-${registered + i}`,
        );
        await Promise.all(batch.map((id) => contextSync.registerAgent(id, 'bench-token-hash')));
        registered += batch.length;
      }
      const publish = () =>
        contextSync.publishBroadcast({ sourceAgent: 'agent-0', context: SAMPLE_CONTEXT, type: SAMPLE_TYPE });
      await closedLoop(publish, settings.concurrency, 1); // warm-up
      const list: number[] = [];
      for (let repeat = 0; repeat < settings.repeats; repeat++) {
        list.push((await closedLoop(publish, settings.concurrency, settings.seconds)).opsPerSecond);
      }
      runs.set(count, list);
    }
  } finally {
    await instance.close();
    await env.dispose();
  }
  const base = median(runs.get(counts[0]) ?? []);
  const figures: Figure[] = counts.map((count, i) => {
    const value = median(runs.get(count)!);
    const ratio = ratioOf(value, base);
    return {
      // Issue 13 goal 8 is the 1,000-agent figure against the 10-agent one.
      issueGoal: count === 1000 && counts[0] === 10 ? 8 : undefined,
      name: `broadcast with ${count.toLocaleString('en-US')} agents registered`,
      value: round(value),
      unit: 'msg/s',
      runs: runs.get(count)!.map((v) => round(v)),
      reference: i === 0 ? undefined : { name: `${counts[0]} agents`, value: round(base), unit: 'msg/s' },
      ratio: i === 0 ? undefined : round(ratio, 3),
      goal: i === 0 ? undefined : 'flat (≥ 0.9 ×)',
      met: i === 0 ? undefined : ratio >= 0.9,
    };
  });
  return [{ id: 5, title: 'Broadcast fan-out', figures, details: { concurrency: settings.concurrency } }];
}
