import { AppProcess, ExitInfo } from '../support/app-process';
import { httpRequest, LoadResult, startLoad, summarize } from '../support/load-generator';
import { TcpProxy } from '../support/tcp-proxy';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';

/** Issue 2, "Done when", for what only a real process shows: start-up failures and SIGTERM. */
describe('foundation: the app as a process (e2e)', () => {
  jest.setTimeout(90000);

  describe('a bad setting', () => {
    it.each([
      ['PORT', 'abc', /Invalid environment: PORT="abc" \(must be an integer/],
      ['REDIS_URL', 'http://localhost', /Invalid environment: REDIS_URL="http:\/\/localhost"/],
    ])('%s=%s stops the process with a message naming it', async (name, value, message) => {
      const app = AppProcess.spawn({ env: { NODE_ENV: 'test', [name]: value } });
      const exit = await withTimeout(app.exited, 20000, () => app.kill());
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(app.output).toMatch(message);
      // One clear line, not a stack trace.
      expect(app.output).not.toMatch(/^\s+at /m);
    });
  });

  /** Exit on SIGTERM: code 0, or Nest's re-raised SIGTERM after its hooks ran; never our SIGKILL fallback. */
  const cleanExit = (exit: ExitInfo) => exit.code === 0 || exit.signal === 'SIGTERM';

  describe('SIGTERM during requests', () => {
    let environment: TestEnvironment;
    let postgres: TcpProxy;
    let app: AppProcess | undefined;

    beforeAll(async () => {
      environment = newTestEnvironment('fsigterm');
      // Postgres behind a proxy, so readiness checks can be made slow: then requests are really in flight at SIGTERM.
      postgres = await TcpProxy.forUrl(environment.env.DATABASE_URL);
    });

    afterEach(async () => {
      await app?.kill();
      app = undefined;
      postgres.setLatency(0);
    });

    afterAll(async () => {
      await postgres?.close();
      await environment?.dispose();
    });

    const startApp = (overrides: Record<string, string>) =>
      AppProcess.start({
        env: {
          ...environment.env,
          DATABASE_URL: postgres.rewrite(environment.env.DATABASE_URL),
          ...overrides,
        },
      });

    const probe = (url: string, seq: number) =>
      httpRequest<{ status: string }>(url, 'GET', seq % 2 === 0 ? '/health/ready' : '/health/live', {
        timeoutMs: 15000,
      });

    describe('with requests in flight and no drain period', () => {
      let results: LoadResult<{ status: string }>[];
      let inFlight: number;
      let exitMs: number | undefined;
      let exit: ExitInfo | undefined;
      let output: string;

      // One scenario, several verdicts: each `it` below checks one promise of the shutdown.
      beforeAll(async () => {
        const server = await startApp({ BRAIN_SHUTDOWN_DRAIN_MS: '0' });
        app = server;
        // Each readiness check now waits ~200 ms for Postgres (a round trip through the proxy), so several are
        // always in flight.
        postgres.setLatency(100);
        const load = startLoad({ concurrency: 12, send: (seq) => probe(server.url, seq) });
        await load.completed(60);
        // No new requests from here on. The client cannot observe when the server has read a request, so give the
        // last ones 50 ms to arrive: a request still on the wire at SIGTERM is not "in flight" for the server.
        const stopped = load.stop();
        await new Promise((resolve) => setTimeout(resolve, 50));
        inFlight = load.inFlight();
        const signalledAt = Date.now();
        server.send('SIGTERM');
        results = await stopped;
        exit = await withTimeout(server.exited, 15000, () => undefined).catch(() => undefined);
        exitMs = exit && exit.at - signalledAt;
        output = server.output;
        process.stdout.write(
          `[foundation] SIGTERM with requests in flight: ${JSON.stringify({ ...summarize(results), inFlightAtSigterm: inFlight, exitMs })}\n`,
        );
      });

      it('had requests in flight when the signal came', () => {
        expect(inFlight).toBeGreaterThanOrEqual(4);
      });

      it('answers every one of them', () => {
        expect(failures(results)).toEqual([]);
        expect(output).toContain('Shutting down on SIGTERM');
      });

      // FAILS TODAY, on purpose: a keep-alive connection that was busy when the server began closing stays open after
      // its answer (Fastify's keepAliveTimeout, 72 s), so the process outlives the 10 s. Fix in src/http-app.ts:
      // answer with `Connection: close` once Fastify's preClose hook has run. Remove `.failing` with that fix.
      it('exits cleanly within 10 s', () => {
        expect(exit && cleanExit(exit)).toBe(true);
        expect(exitMs).toBeLessThan(10000);
      });
    });

    it('with a drain period, turns readiness 503 first and fails no request of a client that follows it', async () => {
      app = await startApp({ BRAIN_SHUTDOWN_DRAIN_MS: '1000' });
      const url = app.url;
      // Like a load balancer: each client stops sending once readiness says 503.
      const load = startLoad({
        concurrency: 8,
        send: (seq) => probe(url, seq),
        stopWorkerWhen: (result) => result.status === 503,
      });
      await load.completed(200);
      const signalledAt = Date.now();
      app.send('SIGTERM');

      const results = await withTimeout(load.finished, 10000, () => load.stop());
      const exit = await withTimeout(app.exited, 15000, () => app?.kill());
      const figures = { ...summarize(results), exitMs: exit.at - signalledAt };
      process.stdout.write(`[foundation] SIGTERM with a drain period: ${JSON.stringify(figures)}\n`);

      expect(failures(results)).toEqual([]);
      const afterSignal = results.filter((r) => r.endedAt > signalledAt);
      expect(afterSignal.some((r) => r.status === 503)).toBe(true);
      expect(cleanExit(exit)).toBe(true);
      expect(exit.at - signalledAt).toBeLessThan(10000);
    });
  });
});

/** Requests that got no answer, or an answer other than liveness 200 / readiness 200 or shutting-down 503. */
function failures(results: LoadResult<{ status: string }>[]): LoadResult[] {
  return results.filter((r) => {
    if (r.status === undefined) return true;
    const readiness = r.seq % 2 === 0;
    return readiness ? r.status !== 200 && r.status !== 503 : r.status !== 200;
  });
}

/** Awaits `promise`, but calls `onTimeout` (e.g. kill the process) and fails after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void Promise.resolve(onTimeout()).catch(() => undefined);
      reject(new Error(`timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
