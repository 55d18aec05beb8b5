import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { brainConfig, BrainConfigType } from '../config/brain.config';

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The OpenAPI security scheme of `/metrics` (brain/openapi.ts declares it). */
export const METRICS_SCHEME = 'metricsToken';

/** `/metrics` is public unless BRAIN_METRICS_TOKEN is set; then it wants `Authorization: Bearer <that token>`. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(brainConfig.KEY) config: BrainConfigType) {
    this.expected = config.metrics.token ? sha256(config.metrics.token) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    // Compare digests: equal length, constant time, whatever the caller sent.
    if (match && timingSafeEqual(sha256(match[1]), this.expected)) return true;
    throw new UnauthorizedException('a valid metrics token is required');
  }
}
