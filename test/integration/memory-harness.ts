import { Client } from 'pg';
import { ConfigModule } from '@nestjs/config';
import { Test, TestingModule } from '@nestjs/testing';
import { AgentsPersistenceModule } from '../../src/agents/agents-persistence.module';
import { AgentsRepository } from '../../src/agents/agents.repository';
import { brainConfig, BrainConfig } from '../../src/config/brain.config';
import { DatabaseModule } from '../../src/infrastructure/database/database.module';
import { REDIS_CLIENT, RedisClient } from '../../src/infrastructure/redis/redis.constants';
import { RedisModule } from '../../src/infrastructure/redis/redis.module';
import { MemoryModule } from '../../src/memory/memory.module';
import { MemoryService } from '../../src/memory/memory.service';

/** MemoryModule with its real dependencies (Postgres, Redis) and nothing else: no HTTP, no ContextSync. */
export interface MemoryInstance {
  memory: MemoryService;
  agents: AgentsRepository;
  /** The shared Redis client the module uses (for fault injection). */
  redis: RedisClient;
  close(): Promise<void>;
}

export async function startMemory(config: BrainConfig): Promise<MemoryInstance> {
  const moduleRef: TestingModule = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [brainConfig] }),
      RedisModule,
      DatabaseModule,
      AgentsPersistenceModule,
      MemoryModule,
    ],
  })
    .overrideProvider(brainConfig.KEY)
    .useValue(config)
    .compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return {
    memory: moduleRef.get(MemoryService),
    agents: moduleRef.get(AgentsRepository),
    redis: moduleRef.get<RedisClient>(REDIS_CLIENT),
    close: () => moduleRef.close(),
  };
}

export async function runSql<T = Record<string, unknown>>(
  config: BrainConfig,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: config.database.url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
