/**
 * How long and how hard the benchmark runs, from the environment. Defaults give a full run of about 10 minutes on
 * a 2-core machine; BENCH_QUICK=1 shrinks every phase for a smoke run of about a minute.
 */
export interface BenchSettings {
  quick: boolean;
  /** Seconds of each closed-loop measurement (scenarios 1, 2, 5). */
  seconds: number;
  /** Measurements per figure; the report quotes their median. */
  repeats: number;
  /** In-flight operations of the closed-loop scenarios (the "same concurrency" of 1 and 2). */
  concurrency: number;
  /** Open-loop HTTP rates (req/s) and seconds per rate. */
  httpRates: number[];
  httpSeconds: number;
  httpRepeats: number;
  httpConnections: number;
  /** Messages per deliver+ack run, Brain and BullMQ alike. */
  deliverMessages: number;
  /** Seconds of the archive burst (scenario 6). */
  archiveSeconds: number;
  /** Messages kept for the memory figure (defaults to BRAIN_STREAM_MAXLEN's default: a full stream). */
  memoryMessages: number;
  broadcastAgents: number[];
  /** Issue 13: seconds of each saturation run (Brain and the ceiling server alike) and the generator's connections. */
  ceilingSeconds: number;
  ceilingConnections: number;
  /** Saturation runs per server, alternating ceiling and Brain so that drift hits both alike; medians are quoted. */
  ceilingRepeats: number;
  /** Issue 13 goal 2: seconds of the open-loop run at half the ceiling's rate. */
  halfCeilingSeconds: number;
  /** Issue 13 goal 9: seconds of each light-load latency run, and its rate (req/s). */
  latencySeconds: number;
  latencyRate: number;
  /** Push (SSE vs long poll): seconds of the measured open-loop run, its publish rate, and the streams held open. */
  pushSeconds: number;
  pushRate: number;
  pushStreams: number;
  /** Agents, each with its own token, that publish over HTTP in the issue-13 runs (the rate limit applies to each). */
  httpSenders: number;
  /** Profile the HTTP app and the in-process publish after the measured scenarios. */
  profile: boolean;
  /** Only these scenarios (comma list of numbers; 9 = the profiles), for working on one. */
  only: Set<number> | undefined;
}

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`Invalid environment: ${name}=${raw} (must be > 0)`);
  return value;
}

function listFrom(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  return raw.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isFinite(value) || value <= 0) throw new Error(`Invalid environment: ${name}=${raw}`);
    return value;
  });
}

export function benchSettings(): BenchSettings {
  const quick = process.env.BENCH_QUICK === '1';
  const only = process.env.BENCH_ONLY
    ? new Set(process.env.BENCH_ONLY.split(',').map((part) => Number(part.trim())))
    : undefined;
  return {
    quick,
    seconds: numberFrom('BENCH_SECONDS', quick ? 1 : 3),
    repeats: numberFrom('BENCH_REPEATS', quick ? 1 : 5),
    concurrency: numberFrom('BENCH_CONCURRENCY', 64),
    httpRates: listFrom('BENCH_HTTP_RATES', [1000, 5000, 10000]),
    httpSeconds: numberFrom('BENCH_HTTP_SECONDS', quick ? 3 : 20),
    httpRepeats: numberFrom('BENCH_HTTP_REPEATS', quick ? 1 : 3),
    httpConnections: numberFrom('BENCH_HTTP_CONNECTIONS', 128),
    deliverMessages: numberFrom('BENCH_DELIVER_MESSAGES', quick ? 2000 : 20000),
    archiveSeconds: numberFrom('BENCH_ARCHIVE_SECONDS', quick ? 5 : 60),
    memoryMessages: numberFrom('BENCH_MEMORY_MESSAGES', quick ? 2000 : 10000),
    broadcastAgents: listFrom('BENCH_BROADCAST_AGENTS', [10, 100, 1000]),
    ceilingSeconds: numberFrom('BENCH_CEILING_SECONDS', quick ? 5 : 20),
    ceilingConnections: numberFrom('BENCH_CEILING_CONNECTIONS', 50),
    ceilingRepeats: numberFrom('BENCH_CEILING_REPEATS', quick ? 1 : 2),
    halfCeilingSeconds: numberFrom('BENCH_HALF_CEILING_SECONDS', quick ? 10 : 60),
    latencySeconds: numberFrom('BENCH_LATENCY_SECONDS', quick ? 5 : 20),
    latencyRate: numberFrom('BENCH_LATENCY_RATE', 100),
    pushSeconds: numberFrom('BENCH_PUSH_SECONDS', quick ? 5 : 20),
    pushRate: numberFrom('BENCH_PUSH_RATE', 1000),
    pushStreams: numberFrom('BENCH_PUSH_STREAMS', 500),
    httpSenders: numberFrom('BENCH_HTTP_SENDERS', 200),
    profile: process.env.BENCH_PROFILE !== '0',
    only,
  };
}
