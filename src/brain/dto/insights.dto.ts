import { ApiProperty } from '@nestjs/swagger';
import type { Insights } from '../../memory/memory-record';

export { TimeWindowRequest as InsightsRequest } from './memory.dto';

export class AgentActivityResponse {
  @ApiProperty({ example: 'nova' })
  agentId: string;

  @ApiProperty({ type: 'integer', example: 12, description: 'messages it sent, broadcasts included' })
  sent: number;

  @ApiProperty({ type: 'integer', example: 7, description: 'direct messages addressed to it' })
  received: number;

  @ApiProperty({ type: 'integer', example: 3, description: 'memories it stored (not expired)' })
  memories: number;
}

export class PairActivityResponse {
  @ApiProperty({ example: 'nova' })
  from: string;

  @ApiProperty({ example: 'dexter', description: "an agent id, or 'broadcast'" })
  to: string;

  @ApiProperty({ type: 'integer', example: 5 })
  count: number;

  @ApiProperty({ format: 'date-time', example: '2025-11-13T14:00:00.000Z' })
  lastAt: string;
}

export class TypeCountResponse {
  @ApiProperty({ example: 'sales_data' })
  type: string;

  @ApiProperty({ type: 'integer', example: 9 })
  count: number;
}

export class TagCountResponse {
  @ApiProperty({ example: 'q3' })
  tag: string;

  @ApiProperty({ type: 'integer', example: 4 })
  count: number;
}

export class InsightsResponse {
  @ApiProperty({ format: 'date-time', example: '2025-11-12T14:00:00.000Z' })
  since: string;

  @ApiProperty({ format: 'date-time', example: '2025-11-13T14:00:00.000Z' })
  until: string;

  @ApiProperty({ type: [AgentActivityResponse] })
  agents: AgentActivityResponse[];

  @ApiProperty({ type: [PairActivityResponse] })
  pairs: PairActivityResponse[];

  @ApiProperty({ type: [TypeCountResponse] })
  topTypes: TypeCountResponse[];

  @ApiProperty({ type: [TagCountResponse] })
  topTags: TagCountResponse[];
}

export function toInsightsResponse(insights: Insights): InsightsResponse {
  return {
    since: insights.since,
    until: insights.until,
    agents: insights.agents.map(({ agentId, sent, received, memories }) => ({
      agentId,
      sent,
      received,
      memories,
    })),
    pairs: insights.pairs.map(({ from, to, count, lastAt }) => ({ from, to, count, lastAt })),
    topTypes: insights.topTypes.map(({ type, count }) => ({ type, count })),
    topTags: insights.topTags.map(({ tag, count }) => ({ tag, count })),
  };
}
