import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { unavailableDependency } from '../common/dependency-errors';
import { AgentAlreadyExistsError, DependencyUnavailableError } from '../common/errors';
import { AgentEntity } from './entities/agent.entity';

/** An agent as Postgres keeps it: a plain object, never the entity. */
export interface AgentRecord {
  id: string;
  name: string | null;
  description: string | null;
  capabilities: string[];
  metadata: Record<string, unknown>;
  tokenHash: string;
  createdAt: Date;
  lastSeenAt: Date | null;
}

export interface NewAgent {
  id: string;
  name?: string | null;
  description?: string | null;
  capabilities?: string[];
  metadata?: Record<string, unknown>;
  tokenHash: string;
  /** Defaults to now. */
  createdAt?: Date;
}

const UNIQUE_VIOLATION = '23505';

/** The `agents` table: SQL only, no rules (AgentsService holds those). */
@Injectable()
export class AgentsRepository {
  constructor(@InjectRepository(AgentEntity) private readonly agents: Repository<AgentEntity>) {}

  /** Throws AgentAlreadyExistsError if the id is taken. */
  async insert(agent: NewAgent): Promise<AgentRecord> {
    const entity = this.agents.create({
      id: agent.id,
      name: agent.name ?? null,
      description: agent.description ?? null,
      capabilities: agent.capabilities ?? [],
      metadata: agent.metadata ?? {},
      tokenHash: agent.tokenHash,
      createdAt: agent.createdAt ?? new Date(),
      lastSeenAt: null,
    });
    try {
      // The JSON columns' loose types don't fit TypeORM's deep-partial type; the entity is complete.
      await this.agents.insert(entity as QueryDeepPartialEntity<AgentEntity>);
    } catch (error) {
      if (driverCode(error) === UNIQUE_VIOLATION) throw new AgentAlreadyExistsError(agent.id);
      throw postgresError(error);
    }
    return toAgentRecord(entity);
  }

  async findById(id: string): Promise<AgentRecord | null> {
    const entity = await this.agents.findOneBy({ id }).catch(rethrow);
    return entity ? toAgentRecord(entity) : null;
  }

  /**
   * findById's createdAt as a scalar SQL expression for the id bound to `idParam`, for statements of other tables
   * (NULL if there is no such agent). Truncated to the millisecond, as the Date findById returns it.
   */
  createdAtSql(idParam: string): string {
    return `(SELECT date_trunc('milliseconds', created_at) FROM agents WHERE id = ${idParam})`;
  }

  async findAll(): Promise<AgentRecord[]> {
    const entities = await this.agents.find({ order: { id: 'ASC' } }).catch(rethrow);
    return entities.map(toAgentRecord);
  }

  /** Returns false if there was no such agent. */
  async delete(id: string): Promise<boolean> {
    const result = await this.agents.delete({ id }).catch(rethrow);
    return (result.affected ?? 0) > 0;
  }

  /** Returns false if there is no such agent. */
  async updateTokenHash(id: string, tokenHash: string): Promise<boolean> {
    const result = await this.agents.update({ id }, { tokenHash }).catch(rethrow);
    return (result.affected ?? 0) > 0;
  }

  /** Moves last_seen_at forward only, so concurrent requests finishing out of order never move it back. */
  async touchLastSeen(id: string, at: Date): Promise<void> {
    await this.agents
      .query(
        `UPDATE agents SET last_seen_at = $2 WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)`,
        [id, at],
      )
      .catch(rethrow);
  }

  async deleteAll(): Promise<void> {
    await this.agents.query(`TRUNCATE agents`).catch(rethrow);
  }
}

function toAgentRecord(entity: AgentEntity): AgentRecord {
  return {
    id: entity.id,
    name: entity.name,
    description: entity.description,
    capabilities: entity.capabilities,
    metadata: entity.metadata,
    tokenHash: entity.tokenHash,
    createdAt: entity.createdAt,
    lastSeenAt: entity.lastSeenAt,
  };
}

function driverCode(error: unknown): string | undefined {
  const e = error as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
}

/** A Postgres outage becomes DependencyUnavailableError (503 "try again"); anything else is left as it is. */
function postgresError(error: unknown): unknown {
  return unavailableDependency(error) === 'postgres'
    ? new DependencyUnavailableError('postgres', error)
    : error;
}

function rethrow(error: unknown): never {
  throw postgresError(error);
}
