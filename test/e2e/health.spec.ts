import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BrainAI } from '../../src/brain/brain-ai.service';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';
import { startTestApp } from '../support/test-app';

describe('health and HTTP foundation (e2e)', () => {
  let environment: TestEnvironment;
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    environment = newTestEnvironment('health');
    ({ app, url } = await startTestApp(environment.config));
  });

  afterAll(async () => {
    await app?.close();
    await environment?.dispose();
  });

  it('answers liveness without touching dependencies', async () => {
    const response = await fetch(`${url}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('reports Redis and Postgres up on readiness, in Terminus shape', async () => {
    const response = await fetch(`${url}/health/ready`);
    const body = (await response.json()) as {
      status: string;
      info: Record<string, { status: string }>;
      error: object;
    };
    expect(response.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info.redis.status).toBe('up');
    expect(body.info.postgres.status).toBe('up');
    // The archive backlog is a readiness detail, never a reason to stop taking messages.
    expect(body.info.archive.status).toBe('up');
    expect(body.error).toEqual({});
  });

  it('puts a request id on every response, reusing a sane one from the caller', async () => {
    const generated = await fetch(`${url}/health/live`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const reused = await fetch(`${url}/health/live`, { headers: { 'x-request-id': 'trace-42' } });
    expect(reused.headers.get('x-request-id')).toBe('trace-42');
  });

  it('sends security headers', async () => {
    const response = await fetch(`${url}/health/live`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBeTruthy();
  });

  it('answers unknown routes with the contract error shape', async () => {
    const response = await fetch(`${url}/v1/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /v1/nope',
    });
  });

  it('gives in-process agents the same readiness as /health/ready (BrainAI.health)', async () => {
    const ready = (await (await fetch(`${url}/health/ready`)).json()) as { details: Record<string, unknown> };
    const health = await app.get(BrainAI).health();
    expect(health.status).toBe('ok');
    expect(Object.keys(health.details).sort()).toEqual(Object.keys(ready.details).sort());
    expect(Object.keys(health.details).sort()).toEqual(['archive', 'lifecycle', 'postgres', 'redis']);
  });

  it('created its own database and ran the migrations', async () => {
    expect(environment.config.database.url).toContain('brain_test_health');
    const response = await fetch(`${url}/health/ready`);
    expect(response.status).toBe(200);
  });
});
