import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsRepository } from './agents.repository';
import { AgentEntity } from './entities/agent.entity';

/** The Postgres side of the agent registry, for AgentsModule (rules, tokens) and MemoryModule (history, clear). */
@Module({
  imports: [TypeOrmModule.forFeature([AgentEntity])],
  providers: [AgentsRepository],
  exports: [AgentsRepository],
})
export class AgentsPersistenceModule {}
