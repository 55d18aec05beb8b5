import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BrainAI } from '../../src/brain/brain-ai.service';
import { probeLive, probeReady, waitForReadiness } from '../support/health-probe';
import { RedisServer } from '../support/redis-server';
import { startTestApp } from '../support/test-app';
import { dropDatabase, newTestEnvironment, TestEnvironment } from '../support/test-environment';

/**
 * Issue 2, "Done when": readiness follows Redis. The suite runs its own redis-server on a free port, so it can stop
 * and start it without disturbing other suites; the app is started once and never restarted.
 */
describe('foundation: readiness follows Redis (e2e)', () => {
  let redis: RedisServer;
  let environment: TestEnvironment;
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // '' unsets REDIS_CLUSTER_NODES when the whole run targets a cluster: this suite needs a Redis it can stop.
    environment = newTestEnvironment('fredis', { REDIS_URL: redis.url, REDIS_CLUSTER_NODES: '' });
    ({ app, url } = await startTestApp(environment.config));
  });

  afterAll(async () => {
    await app?.close();
    // The Redis is thrown away whole; only the database needs removing.
    if (environment) await dropDatabase(environment.config.database.url);
    await redis?.dispose();
  });

  it('is ready with Redis and Postgres up', async () => {
    const answer = await probeReady(url);
    expect(answer.status).toBe(200);
    expect(answer.body?.info?.redis.status).toBe('up');
    expect(answer.body?.info?.postgres.status).toBe('up');
  });

  it('answers 503 within 2 s of Redis stopping, while liveness stays 200', async () => {
    await redis.stop();
    const { afterMs } = await waitForReadiness(url, 503, 2000);
    expect(afterMs).toBeLessThan(2000);
    for (let i = 0; i < 5; i++) expect((await probeLive(url)).status).toBe(200);
    // It stays 503, and answers quickly, while Redis is away.
    const startedAt = Date.now();
    expect((await probeReady(url)).status).toBe(503);
    expect(Date.now() - startedAt).toBeLessThan(1500);
  });

  // FAILS TODAY, on purpose: BrainExceptionFilter (src/common) turns Terminus' 503 into the generic error shape, so
  // the body no longer says which dependency is down. Remove `.failing` once the filter passes the health check
  // result through.
  it('names Redis as down (and Postgres up) in the Terminus shape while Redis is away', async () => {
    const answer = await probeReady(url);
    expect(answer.status).toBe(503);
    expect(answer.body?.status).toBe('error');
    expect(answer.body?.error?.redis.status).toBe('down');
    expect(answer.body?.info?.postgres.status).toBe('up');
  });

  it('BrainAI.health() names Redis as down too, as a result rather than an exception', async () => {
    const health = await app.get(BrainAI).health();
    expect(health.status).toBe('error');
    expect(health.error?.redis?.status).toBe('down');
    expect(health.info?.postgres?.status).toBe('up');
    expect(health.info?.archive?.status).toBe('up');
  });

  it('returns to 200 once Redis is back on the same port, without a restart', async () => {
    await redis.start();
    // ioredis backs off to at most 2 s between reconnect attempts.
    const { afterMs } = await waitForReadiness(url, 200, 5000);
    expect(afterMs).toBeLessThan(5000);
    expect((await probeLive(url)).status).toBe(200);
  });
});
