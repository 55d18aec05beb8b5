import { Global, Module } from '@nestjs/common';
import { HttpMetricsHook } from './http-metrics.hook';
import { MetricsController } from './metrics.controller';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';

/** `GET /metrics` and the registry behind it; global, so any module can inject MetricsService to add its own. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsTokenGuard, HttpMetricsHook],
  exports: [MetricsService],
})
export class MetricsModule {}
