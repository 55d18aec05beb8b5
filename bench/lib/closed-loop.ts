import { performance } from 'node:perf_hooks';

/**
 * Runs `operation` from `concurrency` workers back to back for `seconds` and returns completed operations per
 * second. Closed loop on purpose: it measures throughput at a fixed number of operations in flight, which is
 * what "same concurrency" in scenarios 1, 2 and 5 compares. Failures are counted, not retried.
 */
export async function closedLoop(
  operation: (worker: number, n: number) => Promise<unknown>,
  concurrency: number,
  seconds: number,
): Promise<{ opsPerSecond: number; completed: number; failed: number; firstError?: string }> {
  const deadline = performance.now() + seconds * 1000;
  let completed = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      let n = 0;
      while (performance.now() < deadline) {
        try {
          await operation(worker, n++);
          completed += 1;
        } catch (error) {
          failed += 1;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { opsPerSecond: completed / elapsed, completed, failed, firstError };
}

/** Runs `operation` exactly `n` times with `concurrency` in flight. */
export async function runTimes(
  n: number,
  concurrency: number,
  operation: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await operation(next++);
    }),
  );
}
