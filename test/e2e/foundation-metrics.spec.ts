import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsService } from '../../src/metrics/metrics.service';
import { startTestApp } from '../support/test-app';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';

/** Reads one sample's value from Prometheus text, e.g. sample(body, 'x_count{route="/a"}'). */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics (e2e)', () => {
  describe('without BRAIN_METRICS_TOKEN', () => {
    let environment: TestEnvironment;
    let app: NestFastifyApplication;
    let url: string;

    beforeAll(async () => {
      environment = newTestEnvironment('metrics');
      ({ app, url } = await startTestApp(environment.config));
    });

    afterAll(async () => {
      await app?.close();
      await environment?.dispose();
    });

    it('is public and answers Prometheus text with the process metrics', async () => {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const body = await response.text();
      expect(body).toContain('# TYPE process_cpu_user_seconds_total counter');
      expect(body).toContain('nodejs_heap_size_used_bytes');
    });

    it('times HTTP requests by method, route template and status', async () => {
      for (let i = 0; i < 3; i++) expect((await fetch(`${url}/health/live`)).status).toBe(200);
      expect((await fetch(`${url}/no/such/${Date.now()}`)).status).toBe(404);
      const body = await (await fetch(`${url}/metrics`)).text();
      expect(body).toContain('# TYPE brain_http_request_duration_seconds histogram');
      expect(
        sample(
          body,
          'brain_http_request_duration_seconds_count{method="GET",route="/health/live",status="200"}',
        ),
      ).toBeGreaterThanOrEqual(3);
      // Unknown URLs share one label value, so scanners cannot blow up the series count.
      expect(
        sample(
          body,
          'brain_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}',
        ),
      ).toBeGreaterThanOrEqual(1);
      expect(body).not.toContain('/no/such/');
    });

    it('shows what other modules register through MetricsService', async () => {
      const metrics = app.get(MetricsService);
      let lag = 5;
      metrics.registerGauge('brain_test_lag', 'A gauge read at scrape time', () => Promise.resolve(lag));
      metrics.registerGauge('brain_test_broken', 'A gauge whose source is down', () => {
        throw new Error('source down');
      });
      metrics.counter('brain_test_published_total', 'A counter', ['priority']).inc({ priority: 'high' });

      const first = await fetch(`${url}/metrics`);
      expect(first.status).toBe(200);
      const body = await first.text();
      expect(sample(body, 'brain_test_lag')).toBe(5);
      expect(sample(body, 'brain_test_published_total{priority="high"}')).toBe(1);
      expect(sample(body, 'brain_test_broken')).toBeNaN();

      lag = 9;
      expect(sample(await (await fetch(`${url}/metrics`)).text(), 'brain_test_lag')).toBe(9);
    });
  });

  describe('with BRAIN_METRICS_TOKEN', () => {
    const token = 'metrics-token-for-tests';
    let environment: TestEnvironment;
    let app: NestFastifyApplication;
    let url: string;

    beforeAll(async () => {
      environment = newTestEnvironment('metricstok', { BRAIN_METRICS_TOKEN: token });
      ({ app, url } = await startTestApp(environment.config));
    });

    afterAll(async () => {
      await app?.close();
      await environment?.dispose();
    });

    it.each([
      ['no Authorization header', undefined],
      ['a wrong token', `Bearer ${token}-not`],
      ['the token without Bearer', token],
      ['the admin token', 'Bearer test-admin-token-0123456789abcdef'],
    ])('answers 401 in the contract shape with %s', async (_case, authorization) => {
      const response = await fetch(`${url}/metrics`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'a valid metrics token is required',
      });
    });

    it('answers 200 with the bearer token', async () => {
      const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('process_cpu_user_seconds_total');
    });

    it('leaves the health endpoints public', async () => {
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
    });
  });
});
