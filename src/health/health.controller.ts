import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ArchiveHealthIndicator } from '../context-sync/archive.health';
import { RedisHealthIndicator } from '../infrastructure/redis/redis.health';
import { LifecycleService } from './lifecycle.service';

const CHECK_TIMEOUT_MS = 1000;

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
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
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
