import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ContextSyncModule } from '../context-sync/context-sync.module';
import { DatabaseModule } from '../infrastructure/database/database.module';
import { HealthController } from './health.controller';
import { LifecycleService } from './lifecycle.service';
import { ReadinessService } from './readiness.service';

@Global()
@Module({
  imports: [
    TerminusModule.forRoot({ errorLogStyle: 'pretty', gracefulShutdownTimeoutMs: 0 }),
    ContextSyncModule,
    DatabaseModule,
  ],
  controllers: [HealthController],
  providers: [LifecycleService, ReadinessService],
  exports: [LifecycleService, ReadinessService],
})
export class HealthModule {}
