import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { benchEnvironment } from '../lib/environment';
import { AppProcess, freePort } from '../lib/app-process';
import {
  archiveLag,
  HTTP_TARGETS,
  missingInPostgres,
  registerAgents,
  RegisteredAgent,
  startHttpTarget,
  waitForArchive,
} from '../lib/http-target';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from '../lib/message';
import { openLoop, requestHead } from '../lib/open-loop';
import { treeCpu } from '../lib/process-cpu';
import { ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { median, pollUntil, round, sleep } from '../lib/stats';
import { LoadRequest, saturate, SaturationResult } from '../lib/wrk';
import { LossRecord } from './http-publish';

const ROOT = join(__dirname, '..', '..');
const THROUGHPUT_GOAL = 0.6;
const P99_GOAL_MS = 10;
const CATCH_UP_GOAL_S = 5;
const CPU_GOAL = 2.5;

interface Measured extends SaturationResult {
  cpuMicrosPerRequest: number;
  coresUsed: number;
  processes: number;
  threads: number;
}

/** Whether src/ knows a worker-count setting yet (issue 13 goal 3 names BRAIN_WORKERS). */
function workersSetting(): string | undefined {
  const source = readFileSync(join(ROOT, 'src', 'config', 'environment.ts'), 'utf8');
  return source.includes('BRAIN_WORKERS') ? (process.env.BRAIN_WORKERS ?? 'its default') : undefined;
}

/** The ceiling server (bench/ceiling-server.ts) in its own process, compiled on the fly by ts-node at start only. */
async function startCeiling(
  redisUrl: string,
  stream: string,
): Promise<{ url: string; pid: number; stop(): void }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'bench', 'ceiling-server.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        PORT: String(port),
        REDIS_URL: redisUrl,
        CEILING_STREAM: stream,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const ready = await pollUntil(
    () =>
      fetch(url).then(
        () => true,
        () => child.exitCode !== null,
      ),
    30_000,
    100,
  );
  if (!ready || child.exitCode !== null) {
    child.kill('SIGKILL');
    throw new Error('the ceiling server did not start');
  }
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

/** One saturation run with the CPU the server's process tree used during it. */
async function measure(
  url: string,
  pid: number,
  requests: LoadRequest[],
  settings: BenchSettings,
): Promise<Measured> {
  const before = treeCpu(pid);
  const started = performance.now();
  const result = await saturate(
    `${url}/v1/messages`,
    requests,
    settings.ceilingConnections,
    settings.ceilingSeconds,
  );
  const wall = (performance.now() - started) / 1000;
  const after = treeCpu(pid);
  const cpu = after.seconds - before.seconds;
  return {
    ...result,
    cpuMicrosPerRequest: (cpu / Math.max(1, result.requests)) * 1e6,
    coresUsed: cpu / wall,
    processes: Math.max(before.processes, after.processes),
    threads: after.threads,
  };
}

/** Median of each figure over the runs (errors: the sum). */
function medianRun(runs: Measured[]): Measured & { runs: Measured[] } {
  const of = (pick: (run: Measured) => number) => median(runs.map(pick));
  return {
    generator: runs[0].generator,
    requestsPerSecond: of((r) => r.requestsPerSecond),
    requests: of((r) => r.requests),
    seconds: of((r) => r.seconds),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    socketErrors: runs.reduce((sum, r) => sum + r.socketErrors, 0),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    cpuMicrosPerRequest: of((r) => r.cpuMicrosPerRequest),
    coresUsed: of((r) => r.coresUsed),
    processes: Math.max(...runs.map((r) => r.processes)),
    threads: Math.max(...runs.map((r) => r.threads)),
    runs,
  };
}

function publishLoad(senders: RegisteredAgent[]): LoadRequest[] {
  // No client-side id: wrk repeats these bodies, and Brain would answer a repeated id as the same message.
  return senders.map((sender, i) => ({
    method: 'POST',
    path: '/v1/messages',
    headers: { Authorization: `Bearer ${sender.token}` },
    body: JSON.stringify({
      sourceAgent: sender.id,
      targetAgent: HTTP_TARGETS[i % HTTP_TARGETS.length],
      type: SAMPLE_TYPE,
      context: SAMPLE_CONTEXT,
    }),
  }));
}

/**
 * Issue 13, goals 1 to 4. The ceiling server and Brain (built app, default configuration, agents publishing with their
 * own tokens) saturated in turn by the same generator, connections and duration; the CPU of each one's process tree
 * over its run. Then Brain open loop at half the ceiling's rate, and the archive lag after it.
 */
export async function runCeiling(
  settings: BenchSettings,
): Promise<{ outcome: ScenarioOutcome; loss: LossRecord }> {
  const env = benchEnvironment('bench-ceiling');
  const stream = `${env.config.redis.prefix}:{ceiling}:stream`;
  let app: AppProcess | undefined;
  const created: string[] = [];
  const redis = new Redis(env.config.redis.url);
  try {
    app = await startHttpTarget(env);
    const senders = await registerAgents(
      app,
      Array.from({ length: settings.httpSenders }, (_, i) => `bench-agent-${i}`),
    );
    const load = publishLoad(senders);
    const warmUp = { ...settings, ceilingSeconds: settings.quick ? 2 : 5 };

    // Saturation runs alternate between the two servers (both stay up; an idle one costs nothing), medians quoted.
    const ceilingServer = await startCeiling(env.config.redis.url, stream);
    const ceilingRuns: Measured[] = [];
    const brainRuns: Measured[] = [];
    try {
      await measure(ceilingServer.url, ceilingServer.pid, load, warmUp);
      await measure(app.url, app.pid, load, warmUp);
      for (let repeat = 0; repeat < settings.ceilingRepeats; repeat++) {
        await waitForArchive(app, 120_000);
        const ceilingRun = await measure(ceilingServer.url, ceilingServer.pid, load, settings);
        // A reference that answers errors measures nothing: stop here rather than print a ratio against it.
        if (ceilingRun.errors > ceilingRun.requests * 0.01)
          throw new Error(
            `the ceiling server answered ${ceilingRun.errors} of ${ceilingRun.requests} requests with errors`,
          );
        ceilingRuns.push(ceilingRun);
        await redis.del(stream);
        await waitForArchive(app, 120_000);
        brainRuns.push(await measure(app.url, app.pid, load, settings));
      }
    } finally {
      ceilingServer.stop();
      await redis.del(stream);
    }
    const ceiling = medianRun(ceilingRuns);
    const brain = medianRun(brainRuns);
    await waitForArchive(app, 120_000);

    // Goal 2: open loop at half the ceiling's rate, each request from the next sender with its own token.
    const halfRate = Math.max(1, Math.round(ceiling.requestsPerSecond / 2));
    const heads = senders.map((s) =>
      requestHead('POST', '/v1/messages', app!.host, app!.port, { Authorization: `Bearer ${s.token}` }),
    );
    const half = await openLoop({
      host: app.host,
      port: app.port,
      path: '/v1/messages',
      headers: {},
      rate: halfRate,
      seconds: settings.halfCeilingSeconds,
      connections: settings.httpConnections,
      created,
      request: (i) => {
        const id = randomUUID();
        const sender = senders[i % senders.length];
        const body = JSON.stringify({
          id,
          sourceAgent: sender.id,
          targetAgent: HTTP_TARGETS[i % HTTP_TARGETS.length],
          type: SAMPLE_TYPE,
          context: SAMPLE_CONTEXT,
        });
        return { id, body, head: heads[i % heads.length] };
      },
    });
    const ended = performance.now();
    let lag = await archiveLag(app);
    const lagAtEnd = lag;
    while (lag > 0 && performance.now() - ended < 120_000) {
      await sleep(100);
      lag = await archiveLag(app);
    }
    const catchUpSeconds = (performance.now() - ended) / 1000;
    const missing = await missingInPostgres(env.config.database.url, created);

    const workers = workersSetting();
    const ratio = brain.requestsPerSecond / ceiling.requestsPerSecond;
    const cpuRatio = brain.cpuMicrosPerRequest / ceiling.cpuMicrosPerRequest;
    const generator =
      `${brain.generator}, ${settings.ceilingConnections} connections, ${settings.ceilingSeconds} s, ` +
      `median of ${settings.ceilingRepeats} alternating runs each`;
    const errorsNote = (who: string, r: Measured) =>
      r.errors > 0 ? `; ${who}: ${r.non2xx} non-2xx answers, ${r.socketErrors} socket errors/timeouts` : '';
    return {
      loss: { label: 'issue 13 goal 2', created: created.length, missing, archiveCaughtUp: lag === 0 },
      outcome: {
        id: 10,
        title: 'HTTP publish against the ceiling server (issue 13)',
        figures: [
          {
            issueGoal: 1,
            name: 'POST /v1/messages saturated: Brain, default configuration',
            value: round(brain.requestsPerSecond),
            unit: 'req/s',
            reference: { name: 'ceiling server', value: round(ceiling.requestsPerSecond), unit: 'req/s' },
            ratio: round(ratio, 3),
            goal: `≥ ${THROUGHPUT_GOAL} × ceiling`,
            met: ratio >= THROUGHPUT_GOAL && brain.errors === 0,
            note: `${generator}; p99 ${round(brain.p99Ms, 1)} ms vs ${round(ceiling.p99Ms, 1)} ms${errorsNote('Brain', brain)}${errorsNote('ceiling', ceiling)}`,
          },
          {
            issueGoal: 2,
            name: `p99 open loop at half the ceiling (${halfRate.toLocaleString('en-US')} req/s, ${settings.halfCeilingSeconds} s)`,
            value: round(half.p99Ms, 2),
            unit: 'ms',
            reference: { name: 'half the ceiling', value: halfRate, unit: 'req/s' },
            goal: `p99 < ${P99_GOAL_MS} ms, 0 errors`,
            met: half.p99Ms < P99_GOAL_MS && half.errorCount === 0,
            note:
              `p50 ${round(half.p50Ms, 2)} ms, p95 ${round(half.p95Ms, 2)} ms; ${round(half.achievedRate)} req/s answered; ` +
              `${half.errorCount} errors${half.errorCount > 0 ? ` ${JSON.stringify(half.errors)}` : ''}`,
          },
          {
            issueGoal: 2,
            name: 'archive lag back to 0 after the half-ceiling run (from its last answer)',
            value: round(catchUpSeconds, 2),
            unit: 's',
            goal: `≤ ${CATCH_UP_GOAL_S} s`,
            met: lag === 0 && catchUpSeconds <= CATCH_UP_GOAL_S,
            note: `${lagAtEnd} entries behind at the end${lag === 0 ? '' : `, still ${lag} after 120 s`}; ${missing} of ${created.length} answered 201 missing from Postgres`,
          },
          {
            issueGoal: 3,
            name: 'uses the machine: Brain processes under load',
            value: brain.processes,
            unit: brain.processes === 1 ? 'process' : 'processes',
            reference: { name: 'cores', value: cpus().length, unit: '' },
            goal: '> 1 process (or > 1.2 cores used)',
            met: brain.processes > 1 || brain.coresUsed > 1.2,
            note:
              `${round(brain.coresUsed, 2)} cores used at saturation, ${brain.threads} threads; ` +
              (workers === undefined
                ? 'BRAIN_WORKERS is not known to src/config/environment.ts yet: one process'
                : `BRAIN_WORKERS=${workers}`),
          },
          {
            issueGoal: 4,
            name: "CPU per publish, Brain's process tree (user + sys)",
            value: round(brain.cpuMicrosPerRequest, 1),
            unit: 'µs/req',
            reference: {
              name: 'ceiling server',
              value: round(ceiling.cpuMicrosPerRequest, 1),
              unit: 'µs/req',
            },
            ratio: round(cpuRatio, 3),
            goal: `≤ ${CPU_GOAL} × ceiling`,
            met: cpuRatio <= CPU_GOAL,
            note: `during the saturation runs; Brain ${round(brain.coresUsed, 2)} cores, ceiling ${round(ceiling.coresUsed, 2)} cores`,
          },
        ],
        details: {
          generator,
          ceiling,
          brain,
          halfRate,
          half,
          catchUpSeconds,
          lagAtEnd,
          senders: senders.length,
        },
      },
    };
  } finally {
    redis.disconnect();
    await app?.stop();
    await env.dispose();
  }
}
