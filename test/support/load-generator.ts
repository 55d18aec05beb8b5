/**
 * Steady HTTP load for fault-injection tests: `concurrency` workers each send one request after another until
 * stop(), and every request is recorded (when it started and ended, its status and body, or its connection error).
 * A scenario then checks the record against the state it finds afterwards, e.g. for publishes under a fault:
 *
 *   const load = startLoad({
 *     concurrency: 8,
 *     send: (seq) => httpRequest(app.url, 'POST', '/v1/messages', {
 *       body: { targetAgent: 'nova', context: { seq }, id: ids[seq] }, token: ADMIN_TOKEN,
 *     }),
 *   });
 *   await app.kill(); await app.restart();
 *   const results = await load.stop();
 *   const accepted = results.filter((r) => r.status === 201); // each must be found in Redis and Postgres
 *   printFigures('app killed', summarize(results));
 */
export interface HttpAnswer<T = unknown> {
  status: number;
  body?: T;
}

export interface LoadResult<T = unknown> {
  seq: number;
  worker: number;
  startedAt: number;
  endedAt: number;
  /** HTTP status; undefined when the request got no answer (see `error`). */
  status?: number;
  body?: T;
  /** Why there was no answer: ECONNREFUSED, ECONNRESET, TimeoutError, ... */
  error?: string;
}

export interface LoadOptions<T> {
  concurrency: number;
  /** Sends request number `seq` (0, 1, 2, ... across all workers). */
  send: (seq: number, worker: number) => Promise<HttpAnswer<T>>;
  /** Stop after this many requests in all (default: until stop()). */
  maxRequests?: number;
  /** A worker stops sending once this is true of one of its results (e.g. a load balancer seeing readiness 503). */
  stopWorkerWhen?: (result: LoadResult<T>) => boolean;
  /** Pause between a worker's requests, in ms (default 0). */
  pauseMs?: number;
}

export interface LoadGenerator<T> {
  /** Everything recorded so far (grows while the load runs). */
  readonly results: LoadResult<T>[];
  /** Requests sent and not answered yet. */
  inFlight(): number;
  /** Resolves once at least `count` requests have completed. */
  completed(count: number, timeoutMs?: number): Promise<void>;
  /** Stops sending, waits for requests in flight, returns every result in `seq` order. */
  stop(): Promise<LoadResult<T>[]>;
  /** Resolves when every worker has stopped by itself (maxRequests, stopWorkerWhen). */
  finished: Promise<LoadResult<T>[]>;
}

export function startLoad<T = unknown>(options: LoadOptions<T>): LoadGenerator<T> {
  const results: LoadResult<T>[] = [];
  let next = 0;
  let running = 0;
  let stopping = false;
  const waiters: { count: number; resolve: () => void }[] = [];

  const record = (result: LoadResult<T>) => {
    results.push(result);
    for (const waiter of waiters.filter((w) => results.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  const worker = async (id: number) => {
    while (!stopping && (options.maxRequests === undefined || next < options.maxRequests)) {
      const seq = next++;
      const startedAt = Date.now();
      running++;
      let result: LoadResult<T>;
      try {
        const answer = await options.send(seq, id);
        result = {
          seq,
          worker: id,
          startedAt,
          endedAt: Date.now(),
          status: answer.status,
          body: answer.body,
        };
      } catch (error) {
        result = { seq, worker: id, startedAt, endedAt: Date.now(), error: describeError(error) };
      } finally {
        running--;
      }
      record(result);
      if (options.stopWorkerWhen?.(result)) return;
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };

  const sorted = () => [...results].sort((a, b) => a.seq - b.seq);
  const all = Promise.all(Array.from({ length: options.concurrency }, (_, id) => worker(id))).then(sorted);

  return {
    results,
    inFlight: () => running,
    completed: (count, timeoutMs = 30000) =>
      new Promise<void>((resolve, reject) => {
        if (results.length >= count) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`only ${results.length} of ${count} requests completed in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      }),
    stop: () => {
      stopping = true;
      return all;
    },
    finished: all,
  };
}

/** One HTTP request with a timeout; resolves with status and parsed body, rejects only when there is no answer. */
export async function httpRequest<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (e.g. /metrics): keep the text
  }
  return { status: response.status, body: body as T };
}

/** fetch() hides the socket error under `cause`; this digs out the code a test can reason about. */
export function describeError(error: unknown): string {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  return (
    e?.cause?.code ??
    e?.code ??
    (e?.name === 'TimeoutError' ? 'TimeoutError' : (e?.cause?.message ?? e?.message ?? String(error)))
  );
}

export interface LoadFigures {
  sent: number;
  byStatus: Record<string, number>;
  errors: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export function summarize(results: LoadResult[]): LoadFigures {
  const byStatus: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const result of results) {
    if (result.status !== undefined) byStatus[result.status] = (byStatus[result.status] ?? 0) + 1;
    else errors[result.error ?? 'unknown'] = (errors[result.error ?? 'unknown'] ?? 0) + 1;
  }
  const durations = results.map((r) => r.endedAt - r.startedAt).sort((a, b) => a - b);
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
  return {
    sent: results.length,
    byStatus,
    errors,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: durations.at(-1) ?? 0,
  };
}

/** Scenarios print their figures (issue 7): one line, easy to grep in CI logs. */
export function printFigures(scenario: string, figures: object): void {
  process.stdout.write(`[reliability] ${scenario}: ${JSON.stringify(figures)}\n`);
}
