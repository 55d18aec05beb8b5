import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { AgentsModule } from './agents/agents.module';
import { BrainModule } from './brain/brain.module';
import { brainConfig } from './config/brain.config';
import { validateEnvironment } from './config/environment';
import { ContextSyncModule } from './context-sync/context-sync.module';
import { HealthModule } from './health/health.module';
import { ExampleAgentModule } from './example-agent/example-agent.module';
import { DatabaseModule } from './infrastructure/database/database.module';
import { LoggingModule } from './infrastructure/logging/logging.module';
import { McpModule } from './mcp/mcp.module';
import { RedisModule } from './infrastructure/redis/redis.module';
import { MemoryModule } from './memory/memory.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      validate: validateEnvironment,
      load: [brainConfig],
    }),
    LoggingModule,
    ScheduleModule.forRoot(),
    RedisModule,
    DatabaseModule,
    HealthModule,
    MetricsModule,
    ContextSyncModule,
    MemoryModule,
    AgentsModule,
    BrainModule,
    McpModule,
    // Runs only with BRAIN_EXAMPLE_AGENT=on: the example of an agent added as a module.
    ExampleAgentModule,
  ],
})
export class AppModule {}
