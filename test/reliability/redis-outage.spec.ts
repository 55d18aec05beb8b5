import { AppProcess } from '../support/app-process';
import { probeLive, probeReady, waitForReadiness } from '../support/health-probe';
import { LoadResult, printFigures, summarize } from '../support/load-generator';
import {
  ledgerOf,
  NO_PROBLEMS,
  registerAgents,
  startPublishLoad,
  verifyDelivery,
} from '../support/message-ledger';
import { RedisServer } from '../support/redis-server';
import { dropDatabase, newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

const COMMAND_TIMEOUT_MS = 1000;
/** What "quickly" allows on top of the command timeout: an HTTP round trip on a busy 2-core machine. */
const MARGIN_MS = 1000;
/**
 * What a publish may answer around a Redis outage: 201; 503 while Redis is away; or 200 when the reply to its first
 * attempt was lost with the connection and ioredis sent the script again once Redis was back (the script found the
 * message stored and says so). Each 201 and 200 must be found afterwards.
 */
const OUTCOMES = [201, 503, 200];

/**
 * Issue 7, "Redis outage": the app runs on a redis-server the test owns (AOF, appendfsync always). Stopped under a
 * publish load, Redis takes the service down cleanly: publishes answer 503 within the command timeout (no hang, no
 * dropped connection), readiness 503, liveness 200; started again, the same process resumes by itself. Killed
 * (SIGKILL) and restarted, Redis loses no message that got a 201.
 */
describe('reliability: Redis outage', () => {
  let redis: RedisServer;
  let environment: TestEnvironment;
  let app: AppProcess;
  const sender = { from: 'nova', to: 'dexter' };

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: true, appendfsync: 'always' });
    // '' unsets REDIS_CLUSTER_NODES when the whole run targets a cluster: this suite needs a Redis it can stop.
    environment = newTestEnvironment('rredis', {
      REDIS_URL: redis.url,
      REDIS_CLUSTER_NODES: '',
      BRAIN_REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
    });
    app = await AppProcess.start({ env: environment.env });
    await registerAgents(app.url, ['nova', 'dexter']);
  });

  afterAll(async () => {
    await app?.kill();
    // The Redis is thrown away whole; only the database needs removing.
    if (environment) await dropDatabase(environment.config.database.url);
    await redis?.dispose();
  });

  /** Resolves once `count` publishes that started after `since` were accepted. */
  const acceptedSince = (results: LoadResult[], since: number, count: number) =>
    waitFor(
      () => results.filter((r) => r.status === 201 && r.startedAt > since).length >= count,
      `${count} publishes accepted`,
      30000,
    );

  it('answers 503 quickly while Redis is stopped, resumes by itself when it is back, and loses nothing', async () => {
    const pid = app.pid;
    const publishes = startPublishLoad({ url: app.url, ...sender, concurrency: 4, pauseMs: 10 });
    const { results } = publishes.load;
    await publishes.load.completed(200);

    const stoppingAt = Date.now();
    await redis.stop();
    const stoppedAt = Date.now();
    const { afterMs: detectedMs } = await waitForReadiness(app.url, 503, 3000);
    // While Redis is away: readiness 503 naming Redis, liveness 200, publishes 503.
    let probes = 0;
    while (Date.now() - stoppedAt < 5000) {
      const readiness = await probeReady(app.url);
      expect(readiness.status).toBe(503);
      expect(readiness.body?.error?.redis?.status).toBe('down');
      expect((await probeLive(app.url)).status).toBe(200);
      probes++;
    }

    const startingAt = Date.now();
    await redis.start();
    const { afterMs: readyAgainMs } = await waitForReadiness(app.url, 200, 10000);
    await acceptedSince(results, startingAt, 200);
    const all = await publishes.load.stop();
    const firstAccepted = all.find((r) => r.status === 201 && r.startedAt > startingAt);
    const duringOutage = all.filter((r) => r.startedAt > stoppedAt && r.endedAt < startingAt);
    const ledger = ledgerOf(all, publishes);
    const report = await verifyDelivery(app.url, environment.config.database.url, ledger, sender);

    printFigures('redis outage (stop, start)', {
      ...summarize(all),
      stopMs: stoppedAt - stoppingAt,
      detectedMs,
      probes,
      duringOutage: summarize(duringOutage),
      readyAgainMs,
      recoveryMs: firstAccepted && firstAccepted.endedAt - startingAt,
      ...report.figures,
    });

    expect(app.pid).toBe(pid);
    // Every publish got an answer (see OUTCOMES), none later than the command timeout allows.
    expect(all.filter((r) => !OUTCOMES.includes(r.status!))).toEqual([]);
    expect(all.filter((r) => r.endedAt - r.startedAt > COMMAND_TIMEOUT_MS + MARGIN_MS)).toEqual([]);
    expect(duringOutage.length).toBeGreaterThan(50);
    expect(duringOutage.filter((r) => r.status !== 503)).toEqual([]);
    expect(firstAccepted).toBeDefined();
    expect(report.problems).toEqual(NO_PROBLEMS);
  });

  it('loses no message that got a 201 when Redis (AOF, appendfsync always) is killed and restarted', async () => {
    const pid = app.pid;
    const publishes = startPublishLoad({ url: app.url, ...sender, concurrency: 4, pauseMs: 10 });
    await publishes.load.completed(300);
    // Kill while publishes are on their way (the workers pause between requests, so this is not always so).
    await waitFor(() => publishes.load.inFlight() >= 2, 'publishes in flight', 5000, 1);
    const inFlightAtKill = publishes.load.inFlight();
    const killedAt = Date.now();
    await redis.kill();
    await redis.start();
    const { afterMs: readyAgainMs } = await waitForReadiness(app.url, 200, 10000);
    await acceptedSince(publishes.load.results, Date.now(), 200);
    const all = await publishes.load.stop();
    const firstAccepted = all.find((r) => r.status === 201 && r.startedAt > killedAt);
    const ledger = ledgerOf(all, publishes);
    const report = await verifyDelivery(app.url, environment.config.database.url, ledger, sender);

    printFigures('redis outage (SIGKILL, AOF always)', {
      ...summarize(all),
      inFlightAtKill,
      readyAgainMs,
      recoveryMs: firstAccepted && firstAccepted.endedAt - killedAt,
      ...report.figures,
    });

    expect(app.pid).toBe(pid);
    expect(all.filter((r) => !OUTCOMES.includes(r.status!))).toEqual([]);
    expect(report.problems).toEqual(NO_PROBLEMS);
  });
});
