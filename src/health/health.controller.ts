import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ArchiveHealthIndicator } from '../context-sync/archive.health';
import { RedisHealthIndicator } from '../infrastructure/redis/redis.health';
import { LifecycleService } from './lifecycle.service';

const CHECK_TIMEOUT_MS = 1000;

/** Terminus's answer, stated exactly (its own decorator leaves every field optional and `status` free text). */
const CHECKS = {
  type: 'object' as const,
  additionalProperties: {
    type: 'object' as const,
    required: ['status'],
    properties: { status: { type: 'string' as const, enum: ['up', 'down'] } },
    additionalProperties: true,
  },
  example: { redis: { status: 'up' }, postgres: { status: 'up' } },
};
const healthResult = (statuses: string[]) => ({
  type: 'object' as const,
  required: ['status', 'info', 'error', 'details'],
  properties: {
    status: { type: 'string' as const, enum: statuses },
    info: { ...CHECKS, nullable: true, description: 'the checks that are up' },
    error: { ...CHECKS, nullable: true, description: 'the checks that are down' },
    details: { ...CHECKS, description: 'every check' },
  },
  additionalProperties: false,
});

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly lifecycle: LifecycleService,
    private readonly archive: ArchiveHealthIndicator,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process can answer; checks no dependency' })
  @ApiOkResponse({
    description: 'the process answers',
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
      additionalProperties: false,
    },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({ description: 'every check is up', schema: healthResult(['ok']) })
  @ApiResponse({
    status: 503,
    description: 'a check is down, or the process is shutting down',
    schema: healthResult(['error', 'shutting_down']),
  })
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: Redis and Postgres answer within 1 s and the process is not shutting down',
  })
  ready() {
    return this.health.check([
      () => this.redis.check('redis', CHECK_TIMEOUT_MS),
      () => this.postgres.pingCheck('postgres', { timeout: CHECK_TIMEOUT_MS }),
      () => this.archive.check('archive'),
      () =>
        this.lifecycle.isShuttingDown
          ? { lifecycle: { status: 'down' as const, message: 'shutting down' } }
          : { lifecycle: { status: 'up' as const } },
    ]);
  }
}
