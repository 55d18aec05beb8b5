import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AGENT_REGISTRATIONS } from '../memory/agent-registrations';
import { RegistrationDates } from './agent-registrations.provider';
import { AgentsRepository } from './agents.repository';
import { AgentEntity } from './entities/agent.entity';

/**
 * The Postgres side of the agent registry. Global so that MemoryModule gets its AGENT_REGISTRATIONS port without
 * importing the agents module (which depends on ContextSync, which depends on Memory): whoever assembles Brain
 * (AgentsModule, or a test harness) imports this module once.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AgentEntity])],
  providers: [
    AgentsRepository,
    RegistrationDates,
    { provide: AGENT_REGISTRATIONS, useExisting: RegistrationDates },
  ],
  exports: [AgentsRepository, AGENT_REGISTRATIONS],
})
export class AgentsPersistenceModule {}
