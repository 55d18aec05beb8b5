import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import { ReadinessService } from './readiness.service';

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
  constructor(private readonly readiness: ReadinessService) {}

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
    return this.readiness.check();
  }
}
