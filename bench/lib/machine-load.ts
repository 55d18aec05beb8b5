import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { sleep } from './stats';

/** Busy and total jiffies of all cores since boot, from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - idle, total };
}

/** Share of the whole machine (all cores) busy over `ms`, in percent. */
export async function machineBusyPercent(ms = 1000): Promise<number> {
  const before = cpuTimes();
  await sleep(ms);
  const after = cpuTimes();
  return ((after.busy - before.busy) / Math.max(1, after.total - before.total)) * 100;
}

/**
 * Other work on the machine skews every figure (the benchmark needs the cores to itself). Before a scenario, while
 * the benchmark itself is idle, waits up to `maxWaitMs` for the machine to be quiet and reports how busy it was.
 */
export async function waitForQuietMachine(
  maxWaitMs: number,
  quietPercent = 15,
): Promise<{ busyPercent: number; waitedMs: number; loadAverage: number }> {
  const started = Date.now();
  let busy = await machineBusyPercent();
  while (busy > quietPercent && Date.now() - started < maxWaitMs) busy = await machineBusyPercent(2000);
  return { busyPercent: Math.round(busy), waitedMs: Date.now() - started, loadAverage: loadavg()[0] };
}
