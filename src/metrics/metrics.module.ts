import { Global, Module } from '@nestjs/common';
import { HttpMetricsHook } from './http-metrics.hook';
import { MetricsController } from './metrics.controller';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';
import { RedisMemoryMetrics } from './redis-memory.metrics';

/** `GET /metrics` and the registry behind it; global, so any module can inject MetricsService to add its own. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsTokenGuard, HttpMetricsHook, RedisMemoryMetrics],
  exports: [MetricsService],
})
export class MetricsModule {}
