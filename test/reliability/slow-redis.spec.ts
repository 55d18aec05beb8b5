import { AppProcess } from '../support/app-process';
import { probeLive } from '../support/health-probe';
import { LoadResult, printFigures, startLoad, summarize } from '../support/load-generator';
import {
  ledgerOf,
  NO_PROBLEMS,
  registerAgents,
  startPublishLoad,
  verifyDelivery,
} from '../support/message-ledger';
import { TcpProxy } from '../support/tcp-proxy';
import { newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

const COMMAND_TIMEOUT_MS = 500;
/** Each way: a round trip then takes 6 s, far beyond the command timeout. */
const LATENCY_MS = 3000;
const SLOW_FOR_MS = 8000;
/**
 * How long a request may take while every command times out: twice the command timeout, plus an HTTP round trip on
 * a busy 2-core machine. Twice, because the shared connection auto-pipelines and ioredis runs one pipeline at a time
 * per connection: a command queued while the previous pipeline is in flight is sent only once that pipeline's
 * commands have timed out, and then waits its own timeout (measured: ~2 x 500 ms for every request while slow).
 */
const ANSWER_BOUND_MS = 2 * COMMAND_TIMEOUT_MS + 500;
/** Liveness checks nothing: it answers at once unless the event loop is stalled. */
const LIVENESS_BOUND_MS = 100;

/**
 * Issue 7, "Slow Redis": latency far above BRAIN_REDIS_COMMAND_TIMEOUT_MS on the Redis connection (a TCP proxy).
 * Requests answer 503 within twice the command timeout (see ANSWER_BOUND_MS), none hangs; the event loop never stalls
 * (liveness answers within 100 ms all along); once Redis is fast again, the same process serves 201s and no message
 * that got a 201 is lost.
 */
describe('reliability: slow Redis', () => {
  let environment: TestEnvironment;
  let redis: TcpProxy;
  let app: AppProcess;
  const sender = { from: 'nova', to: 'dexter' };

  beforeAll(async () => {
    // '' unsets REDIS_CLUSTER_NODES when the whole run targets a cluster: the proxy stands in front of one node.
    environment = newTestEnvironment('rslowredis', {
      REDIS_CLUSTER_NODES: '',
      BRAIN_REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
    });
    redis = await TcpProxy.forUrl(environment.config.redis.url);
    app = await AppProcess.start({
      env: { ...environment.env, REDIS_URL: redis.rewrite(environment.config.redis.url) },
    });
    await registerAgents(app.url, ['nova', 'dexter']);
  });

  afterAll(async () => {
    await app?.kill();
    await redis?.close();
    await environment?.dispose();
  });

  it('answers within the command timeout while Redis is slow, never stalls, and recovers by itself', async () => {
    const pid = app.pid;
    const liveness = startLoad({ concurrency: 1, pauseMs: 50, send: () => probeLive(app.url, 2000) });
    const publishes = startPublishLoad({ url: app.url, ...sender, concurrency: 4, pauseMs: 10 });
    await publishes.load.completed(200);

    redis.setLatency(LATENCY_MS);
    const slowAt = Date.now();
    await waitFor(
      () => Date.now() - slowAt >= SLOW_FOR_MS,
      'the slow period to pass',
      SLOW_FOR_MS + 1000,
      100,
    );
    redis.setLatency(0);
    const fastAt = Date.now();
    // Recovered: 100 publishes sent after Redis became fast again were accepted.
    await waitFor(
      () => publishes.load.results.filter((r) => r.status === 201 && r.startedAt > fastAt).length >= 100,
      '100 publishes accepted after the slow period',
      20000,
    );
    const results = await publishes.load.stop();
    const probes = await liveness.stop();

    const slow = (r: LoadResult) => r.startedAt > slowAt && r.endedAt < fastAt;
    const firstAccepted = results.find((r) => r.status === 201 && r.startedAt > fastAt);
    const ledger = ledgerOf(results, publishes);
    const report = await verifyDelivery(app.url, environment.config.database.url, ledger, sender);

    printFigures('slow redis', {
      latencyMs: LATENCY_MS,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      ...summarize(results),
      whileSlow: summarize(results.filter(slow)),
      liveness: summarize(probes),
      livenessWhileSlow: summarize(probes.filter(slow)),
      livenessSinceSlow: summarize(probes.filter((p) => p.startedAt >= slowAt)),
      recoveryMs: firstAccepted && firstAccepted.endedAt - fastAt,
      ...report.figures,
    });

    expect(app.pid).toBe(pid);
    // Bounded: every publish answered (201 or 503), none later than the command timeout allows.
    expect(results.filter((r) => r.status !== 201 && r.status !== 503)).toEqual([]);
    expect(results.filter((r) => r.endedAt - r.startedAt > ANSWER_BOUND_MS)).toEqual([]);
    expect(results.filter(slow).length).toBeGreaterThan(20);
    expect(results.filter(slow).filter((r) => r.status !== 503)).toEqual([]);
    // No stall: liveness answered every probe, fast.
    expect(probes.filter((p) => p.status !== 200)).toEqual([]);
    // From the moment Redis turned slow (the first seconds of a fresh process, JIT and all, are not the question).
    const sinceSlow = probes.filter((p) => p.startedAt >= slowAt);
    expect(sinceSlow.filter((p) => p.endedAt - p.startedAt > LIVENESS_BOUND_MS)).toEqual([]);
    expect(report.problems).toEqual(NO_PROBLEMS);
  });
});
