import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AgentsModule } from '../agents/agents.module';
import { ContextSyncModule } from '../context-sync/context-sync.module';
import { HealthModule } from '../health/health.module';
import { MemoryModule } from '../memory/memory.module';
import { AccessPolicy } from './access.policy';
import { BrainAgentRunner } from './agent-worker/brain-agent-runner.service';
import { AgentsController } from './agents.controller';
import { BrainAI } from './brain-ai.service';
import { EventsController } from './events.controller';
import { MemoriesController } from './memories.controller';
import { MessagesController } from './messages.controller';
import { MonitoringController } from './monitoring.controller';
import { OperationsController } from './operations.controller';

/**
 * One face on Brain: the BrainAI facade (exported, for in-process agents), the REST API over it, and the runner
 * of @BrainAgent providers.
 */
@Module({
  imports: [AgentsModule, ContextSyncModule, MemoryModule, HealthModule, DiscoveryModule],
  controllers: [
    AgentsController,
    MessagesController,
    EventsController,
    MemoriesController,
    OperationsController,
    MonitoringController,
  ],
  providers: [BrainAI, AccessPolicy, BrainAgentRunner],
  exports: [BrainAI],
})
export class BrainModule {}
