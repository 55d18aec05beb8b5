import { AppProcess } from '../support/app-process';
import { probeReady } from '../support/health-probe';
import { httpRequest, printFigures, startLoad, summarize } from '../support/load-generator';
import {
  ledgerOf,
  NO_PROBLEMS,
  registerAgents,
  startPublishLoad,
  verifyDelivery,
} from '../support/message-ledger';
import { newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

const DRAIN_MS = 1000;

/**
 * Issue 7, "Graceful shutdown": SIGTERM under a steady publish load. Readiness turns 503 first (a load balancer
 * stops sending), the server keeps serving for BRAIN_SHUTDOWN_DRAIN_MS, requests in flight complete, and no request
 * sent before readiness turned 503 fails; the process exits cleanly within 10 s. Started again, every message that
 * got a 201 is there (pending and archived).
 */
describe('reliability: graceful shutdown under load', () => {
  let environment: TestEnvironment;
  let app: AppProcess;
  let token: Record<string, string>;
  const sender = { from: 'nova', to: 'dexter' };

  beforeAll(async () => {
    environment = newTestEnvironment('rshutdown', { BRAIN_SHUTDOWN_DRAIN_MS: String(DRAIN_MS) });
    app = await AppProcess.start({ env: environment.env });
    token = await registerAgents(app.url, ['nova', 'dexter', 'zed']);
  });

  afterAll(async () => {
    await app?.kill();
    await environment?.dispose();
  });

  it('turns readiness 503 first, completes what it was sent, and exits cleanly within 10 s', async () => {
    const publishes = startPublishLoad({ url: app.url, ...sender, concurrency: 6, pauseMs: 10 });
    // Readiness as a load balancer sees it, polled all along.
    const readiness = startLoad({ concurrency: 1, pauseMs: 20, send: () => probeReady(app.url, 2000) });
    // An idle consumer long-polls, as consumers do: its request is in flight when the signal comes.
    const longPoll = startLoad({
      concurrency: 1,
      maxRequests: 1,
      send: () =>
        httpRequest<{ items: unknown[] }>(app.url, 'GET', '/v1/agents/zed/messages?consumer=w1&wait=25000', {
          token: token.zed,
          timeoutMs: 40000,
        }),
    });
    await publishes.load.completed(300);
    // Signal while publishes are on their way (the workers pause between requests, so this is not always so).
    await waitFor(() => publishes.load.inFlight() >= 2, 'publishes in flight', 5000, 1);
    const inFlightAtSignal = publishes.load.inFlight();
    const signalledAt = Date.now();
    app.send('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      app.exited,
      new Promise<undefined>((resolve) => (timer = setTimeout(resolve, 15000, undefined))),
    ]).finally(() => clearTimeout(timer));
    // Not gone after 15 s: ended here, so the checks below can tell what held it.
    if (!exit) await app.kill();
    const results = await publishes.load.stop();
    const probes = await readiness.stop();
    const [poll] = await longPoll.stop();

    const firstNotReady = probes.find((p) => p.startedAt >= signalledAt && p.status !== 200);
    // Sent before the load balancer could know: each of these must be answered 201.
    const turnedAt = firstNotReady?.endedAt ?? Infinity;
    const sentBefore = results.filter((r) => r.startedAt < turnedAt);
    const failedBefore = sentBefore.filter((r) => r.status !== 201);
    const firstFailure = results.find((r) => r.status !== 201);

    // Started again (same env), every 201 is there; what was refused after readiness turned is retried.
    await app.start();
    const ledger = ledgerOf(results, publishes);
    const report = await verifyDelivery(app.url, environment.config.database.url, ledger, sender);

    printFigures('graceful shutdown', {
      ...summarize(results),
      inFlightAtSignal,
      readinessDownAfterMs: firstNotReady && firstNotReady.endedAt - signalledAt,
      readinessStatus: firstNotReady?.status ?? firstNotReady?.error,
      sentBeforeNotReady: sentBefore.length,
      failedBeforeNotReady: failedBefore.length,
      firstFailureAfterMs: firstFailure && firstFailure.startedAt - signalledAt,
      longPoll: { status: poll.status ?? poll.error, answeredAfterMs: poll.endedAt - signalledAt },
      exitMs: exit && exit.at - signalledAt,
      exit,
      ...report.figures,
    });

    expect(inFlightAtSignal).toBeGreaterThan(0);
    // Readiness said 503 (not a refused connection) before anything failed.
    expect(firstNotReady?.status).toBe(503);
    expect(failedBefore).toEqual([]);
    expect(firstFailure === undefined || firstFailure.startedAt >= turnedAt).toBe(true);
    // The long poll is answered (nothing pending: an empty list) rather than holding the exit for its 25 s.
    expect(poll.status).toBe(200);
    expect(exit).toBeDefined();
    expect(exit!.code === 0 || exit!.signal === 'SIGTERM').toBe(true);
    expect(exit!.at - signalledAt).toBeLessThan(10000);
    expect(report.problems).toEqual(NO_PROBLEMS);
  });
});
