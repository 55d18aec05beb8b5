import { Injectable } from '@nestjs/common';
import type { AgentRegistrations } from '../memory/agent-registrations';
import { AgentsRepository } from './agents.repository';

/** Memory's view of the registry: registration dates from Postgres, the truth for incarnations. */
@Injectable()
export class RegistrationDates implements AgentRegistrations {
  constructor(private readonly repository: AgentsRepository) {}

  async registeredAt(agentId: string): Promise<Date | null> {
    return (await this.repository.findById(agentId))?.createdAt ?? null;
  }

  registeredAtSql(agentIdParam: string): string {
    return this.repository.createdAtSql(agentIdParam);
  }
}
