import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { benchEnvironment } from '../lib/environment';
import { startBrainInProcess } from '../lib/brain-instance';
import { closedLoop } from '../lib/closed-loop';
import { CpuProfile, readProfile, summarizeProfile } from '../lib/cpu-profile';
import { publishRequests, startHttpTarget, waitForArchive } from '../lib/http-target';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from '../lib/message';
import { openLoop } from '../lib/open-loop';
import { ProfileReport } from '../lib/report';
import { BenchSettings } from '../lib/settings';

const RESULTS = join(__dirname, '..', 'results');

function post<T>(session: Session, method: string): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

/**
 * After the measured scenarios (profiling slows what it watches): a CPU profile of the in-process publish
 * (ContextSyncService.share at the scenario-2 concurrency, archiver included) and one of the app process serving
 * POST /v1/messages at a fixed rate (V8's CPU profiler, as node --cpu-prof uses, started after warm-up by a signal). Profiles land in bench/results/*.cpuprofile (open them in
 * Chrome DevTools); the report keeps self time by package and the top functions.
 */
export async function runProfiles(settings: BenchSettings, httpRate: number): Promise<ProfileReport[]> {
  const reports: ProfileReport[] = [];
  const seconds = settings.quick ? 2 : 8;

  const env = benchEnvironment('bench-profile');
  const instance = await startBrainInProcess(env.config);
  try {
    await instance.registerAgent('bench-sender');
    await instance.registerAgent('bench-target');
    const share = () =>
      instance.contextSync.publishMessage({
        sourceAgent: 'bench-sender',
        targetAgent: 'bench-target',
        context: SAMPLE_CONTEXT,
        type: SAMPLE_TYPE,
      });
    await closedLoop(share, settings.concurrency, 1);
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
    const result = await closedLoop(share, settings.concurrency, seconds);
    const { profile } = await post<{ profile: CpuProfile }>(session, 'Profiler.stop');
    session.disconnect();
    const file = join(RESULTS, 'publish-in-process.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    reports.push(
      summarizeProfile(
        profile,
        'in-process publish (scenario 2)',
        `ContextSyncService.share, ${settings.concurrency} in flight, ${Math.round(result.opsPerSecond)} msg/s while profiled`,
        'bench/results/publish-in-process.cpuprofile',
      ),
    );
  } finally {
    await instance.close();
    await env.dispose();
  }

  const httpEnv = benchEnvironment('bench-profile-http');
  const file = join(RESULTS, 'publish-http-app.cpuprofile');
  rmSync(file, { force: true });
  const app = await startHttpTarget(httpEnv, { cpuProfile: file });
  let answered = '';
  try {
    const requests = publishRequests(app);
    await openLoop({ ...requests, rate: Math.min(httpRate, 1000), seconds: 3, connections: 32 });
    await waitForArchive(app, 30_000);
    await app.startProfile();
    const run = await openLoop({
      ...requests,
      rate: httpRate,
      seconds,
      connections: settings.httpConnections,
    });
    answered = `${Math.round(run.achievedRate)} req/s answered, p99 ${run.p99Ms.toFixed(1)} ms while profiled`;
  } finally {
    await app.stop();
    await httpEnv.dispose();
  }
  if (existsSync(file)) {
    reports.push(
      summarizeProfile(
        readProfile(file),
        'app process serving POST /v1/messages (scenario 3)',
        `open loop at ${httpRate.toLocaleString('en-US')} req/s, ${answered}`,
        'bench/results/publish-http-app.cpuprofile',
      ),
    );
  }
  return reports;
}
