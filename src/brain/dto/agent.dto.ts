import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import type { Agent } from '../../agents/agents.service';
import { AGENT_ID_PATTERN } from '../../common/ids';
import {
  MAX_AGENT_DESCRIPTION_LENGTH,
  MAX_AGENT_NAME_LENGTH,
  MAX_CAPABILITIES,
  MAX_CAPABILITY_LENGTH,
} from '../../common/limits';
import { IsAgentIdField, IsBoundedString, IsJsonObjectField, IsSafeText, IsStringList } from './validation';

export class RegisterAgentRequest {
  @ApiProperty({ pattern: AGENT_ID_PATTERN.source, example: 'nova', description: "'broadcast' is reserved" })
  @IsAgentIdField()
  id: string;

  @ApiPropertyOptional({ maxLength: MAX_AGENT_NAME_LENGTH, example: 'Nova' })
  @IsOptional()
  @IsBoundedString(MAX_AGENT_NAME_LENGTH)
  name?: string;

  @ApiPropertyOptional({ maxLength: MAX_AGENT_DESCRIPTION_LENGTH, example: 'Sales analyst' })
  @IsOptional()
  @IsBoundedString(MAX_AGENT_DESCRIPTION_LENGTH)
  description?: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_CAPABILITIES, example: ['sales', 'forecasting'] })
  @IsOptional()
  @IsStringList(MAX_CAPABILITIES, MAX_CAPABILITY_LENGTH)
  capabilities?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { team: 'revenue' } })
  @IsOptional()
  @IsJsonObjectField({ safeText: true })
  metadata?: Record<string, unknown>;
}

export class AgentListQuery {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: MAX_CAPABILITY_LENGTH,
    example: 'analysis',
    description: 'only agents whose capabilities contain it',
  })
  @IsOptional()
  @IsString({ message: `capability must be a string of 1..${MAX_CAPABILITY_LENGTH} characters` })
  @Length(1, MAX_CAPABILITY_LENGTH, {
    message: `capability must be a string of 1..${MAX_CAPABILITY_LENGTH} characters`,
  })
  @IsSafeText()
  capability?: string;
}

export class AgentResponse {
  @ApiProperty({ example: 'nova' })
  id: string;

  @ApiProperty({ type: String, nullable: true, example: 'Nova' })
  name: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Sales analyst' })
  description: string | null;

  @ApiProperty({ type: [String], example: ['sales', 'forecasting'] })
  capabilities: string[];

  @ApiProperty({ type: 'object', additionalProperties: true, example: { team: 'revenue' } })
  metadata: Record<string, unknown>;

  @ApiProperty({ format: 'date-time', example: '2025-11-13T14:00:00.000Z' })
  createdAt: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    example: '2025-11-13T14:05:00.000Z',
    description: 'last authenticated request (updated at most once a minute)',
  })
  lastSeenAt: string | null;
}

export class RegisteredAgentResponse extends AgentResponse {
  @ApiProperty({
    example: 'nova.Q2hhbmdlIG1lIQ-3u5mF0b2xZcW9yZHh4a2V5cw',
    description: 'the bearer token of the agent; shown only now, only its hash is stored',
  })
  token: string;
}

export class AgentListResponse {
  @ApiProperty({ type: [AgentResponse] })
  items: AgentResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'always null: one page holds all agents',
  })
  nextCursor: null;
}

export class TokenResponse {
  @ApiProperty({ example: 'nova.bmV3IHRva2VuIGZvciBub3ZhIGFmdGVyIHJvdGF0aW9u', description: 'the new token' })
  token: string;
}

const iso = (value: Date | string | null | undefined): string | null =>
  value == null ? null : new Date(value).toISOString();

export function toAgentResponse(agent: Agent): AgentResponse {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    capabilities: agent.capabilities,
    metadata: agent.metadata,
    createdAt: iso(agent.createdAt) ?? '',
    lastSeenAt: iso(agent.lastSeenAt),
  };
}

export function toRegisteredAgentResponse(agent: Agent, token: string): RegisteredAgentResponse {
  return { ...toAgentResponse(agent), token };
}

export function toAgentListResponse(agents: Agent[]): AgentListResponse {
  return { items: agents.map(toAgentResponse), nextCursor: null };
}
