import { ApiProperty } from '@nestjs/swagger';
import {
  AgentStats,
  THROUGHPUT_STEP_MS,
  THROUGHPUT_WINDOW_MS,
  ThroughputPoint,
} from '../../context-sync/context-message';
import type { Priority } from '../../common/ids';

export class PendingByPriority implements Record<Priority, number> {
  @ApiProperty({ example: 0 }) critical: number;
  @ApiProperty({ example: 1 }) high: number;
  @ApiProperty({ example: 4 }) medium: number;
  @ApiProperty({ example: 0 }) low: number;
}

export class AgentStatsResponse {
  @ApiProperty({ example: 'nova' })
  agentId: string;

  @ApiProperty({
    type: PendingByPriority,
    description: 'pending messages (direct and broadcast) per priority',
  })
  pending: PendingByPriority;

  @ApiProperty({ example: 5, description: 'the sum of `pending`' })
  pendingMessages: number;

  @ApiProperty({ example: 120, description: 'acknowledgements this agent has recorded' })
  acknowledgedMessages: number;

  @ApiProperty({ example: 1 })
  deadLetters: number;
}

export class AgentStatsListResponse {
  @ApiProperty({ type: [AgentStatsResponse], description: 'one item per registered agent, by id' })
  items: AgentStatsResponse[];
}

export class ThroughputPointResponse {
  @ApiProperty({ example: '2026-01-15T10:00:02.000Z', description: 'end of the step' })
  at: string;

  @ApiProperty({
    example: 12.5,
    description: 'messages published per second during the step (a broadcast once)',
  })
  published: number;

  @ApiProperty({ example: 11, description: 'acknowledgements per second during the step (per recipient)' })
  acknowledged: number;
}

export class ThroughputSeriesResponse {
  @ApiProperty({ example: THROUGHPUT_STEP_MS / 1000, description: 'seconds between points' })
  stepSeconds: number;

  @ApiProperty({ example: THROUGHPUT_WINDOW_MS / 1000, description: 'how far back the series goes' })
  windowSeconds: number;

  @ApiProperty({
    type: [ThroughputPointResponse],
    description: 'oldest first; shorter than the window while the answering replica has run for less than it',
  })
  items: ThroughputPointResponse[];
}

export function toAgentStatsResponse(stats: AgentStats): AgentStatsResponse {
  return {
    agentId: stats.agentId,
    pending: { ...stats.pending },
    pendingMessages: stats.pendingMessages,
    acknowledgedMessages: stats.acknowledgedMessages,
    deadLetters: stats.deadLetters,
  };
}

export function toThroughputSeriesResponse(points: ThroughputPoint[]): ThroughputSeriesResponse {
  return {
    stepSeconds: THROUGHPUT_STEP_MS / 1000,
    windowSeconds: THROUGHPUT_WINDOW_MS / 1000,
    items: points.map((point) => ({
      at: point.at.toISOString(),
      published: point.published,
      acknowledged: point.acknowledged,
    })),
  };
}
