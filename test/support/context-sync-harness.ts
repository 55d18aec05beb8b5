import { ConfigModule } from '@nestjs/config';
import { Test, TestingModule } from '@nestjs/testing';
import { AgentsPersistenceModule } from '../../src/agents/agents-persistence.module';
import { brainConfig, BrainConfig } from '../../src/config/brain.config';
import { ContextSyncModule } from '../../src/context-sync/context-sync.module';
import { ContextSyncService } from '../../src/context-sync/context-sync.service';
import { RetentionJob } from '../../src/context-sync/retention.job';
import { DatabaseModule } from '../../src/infrastructure/database/database.module';
import { RedisModule } from '../../src/infrastructure/redis/redis.module';
import { MemoryService } from '../../src/memory/memory.service';
import { MetricsModule } from '../../src/metrics/metrics.module';

/** ContextSync with its real dependencies (Redis, Postgres, the Memory archive) and no HTTP: one "replica". */
export interface ContextSyncInstance {
  module: TestingModule;
  contextSync: ContextSyncService;
  memory: MemoryService;
  retention: RetentionJob;
  close(): Promise<void>;
}

export async function startContextSync(config: BrainConfig): Promise<ContextSyncInstance> {
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [brainConfig] }),
      RedisModule,
      DatabaseModule,
      MetricsModule,
      // MemoryModule (under ContextSync) reads registration dates through the port this module provides.
      AgentsPersistenceModule,
      ContextSyncModule,
    ],
  })
    .overrideProvider(brainConfig.KEY)
    .useValue(config)
    .compile();
  module.useLogger(false);
  await module.init();
  return {
    module,
    contextSync: module.get(ContextSyncService),
    memory: module.get(MemoryService),
    retention: module.get(RetentionJob),
    close: () => module.close(),
  };
}
