import { AppProcess } from '../support/app-process';
import { probeLive, probeReady, waitForReadiness } from '../support/health-probe';
import { printFigures } from '../support/load-generator';
import { CutMode, TcpProxy } from '../support/tcp-proxy';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';

/**
 * Issue 7, Postgres outage (health part): with Postgres cut off behind a TCP proxy, readiness reports it down while
 * liveness stays 200 and Redis stays up; once it is back, readiness recovers by itself, in the same process.
 * The messaging part (publishes keep answering 201, the archive catches up) joins this file with the message API.
 */
describe('reliability: Postgres outage, health', () => {
  let environment: TestEnvironment;
  let postgres: TcpProxy;
  let app: AppProcess;

  const ready = () => probeReady(app.url);
  const live = () => probeLive(app.url);

  beforeAll(async () => {
    environment = newTestEnvironment('rpgoutage');
    postgres = await TcpProxy.forUrl(environment.env.DATABASE_URL);
    app = await AppProcess.start({
      env: { ...environment.env, DATABASE_URL: postgres.rewrite(environment.env.DATABASE_URL) },
    });
  });

  afterAll(async () => {
    await app?.kill();
    await postgres?.close();
    await environment?.dispose();
  });

  /** Cuts Postgres, checks what the app reports during `holdMs`, restores it and waits for readiness to recover. */
  async function outage(mode: CutMode, holdMs: number) {
    const pid = app.pid;
    expect((await ready()).status).toBe(200);

    await postgres.cut(mode);
    const cutAt = Date.now();
    await waitForReadiness(app.url, 503, 5000);
    const detectedMs = Date.now() - cutAt;

    // For the rest of the outage: readiness keeps answering 503, in bounded time; liveness stays 200.
    let probes = 0;
    let slowestReadyMs = 0;
    while (Date.now() - cutAt < holdMs) {
      const startedAt = Date.now();
      expect((await ready()).status).toBe(503);
      slowestReadyMs = Math.max(slowestReadyMs, Date.now() - startedAt);
      expect((await live()).status).toBe(200);
      probes++;
    }

    await postgres.restore();
    const { afterMs: recoveryMs } = await waitForReadiness(app.url, 200, 20000);

    expect(app.pid).toBe(pid); // recovered by itself, not by a restart
    const figures = { mode, holdMs, detectedMs, slowestReadyMs, probes, recoveryMs };
    printFigures(`postgres outage (${mode})`, figures);
    return figures;
  }

  it('reports Postgres down while it refuses connections, and recovers without a restart', async () => {
    const { detectedMs, slowestReadyMs } = await outage('refuse', 3000);
    // The readiness check of each dependency has a 1 s timeout.
    expect(detectedMs).toBeLessThan(2000);
    expect(slowestReadyMs).toBeLessThan(2000);
  });

  it('reports Postgres down while it is unreachable (packets dropped), and recovers without a restart', async () => {
    const { detectedMs, slowestReadyMs } = await outage('blackhole', 3000);
    expect(detectedMs).toBeLessThan(2500);
    expect(slowestReadyMs).toBeLessThan(2000);
  });

  // FAILS TODAY, on purpose: BrainExceptionFilter (src/common) turns Terminus' 503 into the generic error shape, so
  // the body does not say which dependency is down. Remove `.failing` once the filter passes the health check result
  // through.
  it('names Postgres as down and Redis as up in the readiness body', async () => {
    await postgres.cut('refuse');
    try {
      const { answer } = await waitForReadiness(app.url, 503, 5000);
      expect(answer.body?.error?.postgres.status).toBe('down');
      expect(answer.body?.info?.redis.status).toBe('up');
    } finally {
      await postgres.restore();
      await waitForReadiness(app.url, 200, 20000);
    }
  });
});
