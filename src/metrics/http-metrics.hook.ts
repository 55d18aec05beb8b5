import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { MetricsService } from './metrics.service';

const READINESS_ROUTE = '/health/ready';

/**
 * Times every HTTP answer, labelled by method, route template (`/v1/agents/:id`, never the raw URL: bounded label
 * values) and status. A Fastify hook rather than a Nest interceptor, so that answers Nest never sees (404s, 413s,
 * guard rejections) are counted too. Also keeps `brain_ready`: the last answer of `/health/ready` (the probes of
 * Kubernetes or Docker ask every few seconds), so an alert sees a replica that is up but not ready.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    // No HTTP adapter in a standalone application context (scripts, some tests): nothing to time.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    const duration = this.metrics.histogram(
      'brain_http_request_duration_seconds',
      'Time to answer an HTTP request, by method, route template and status',
      ['method', 'route', 'status'],
    );
    let ready = NaN;
    this.metrics.registerGauge(
      'brain_ready',
      'Last readiness answer of this replica: 1 ready, 0 not ready, NaN before the first probe',
      () => ready,
    );
    fastify.addHook('onResponse', (request, reply, done) => {
      if (request.routeOptions.url === READINESS_ROUTE) ready = reply.statusCode === 200 ? 1 : 0;
      duration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }
}
