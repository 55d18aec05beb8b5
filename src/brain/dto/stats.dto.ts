import { ApiProperty } from '@nestjs/swagger';
import type { ContextSyncStats } from '../../context-sync/context-message';

export class StatsResponse {
  @ApiProperty({ example: 1200, description: 'messages in the live streams' })
  totalMessages: number;

  @ApiProperty({ example: 40, description: 'recipient deliveries not yet acknowledged' })
  pendingMessages: number;

  @ApiProperty({ example: 1160 })
  acknowledgedMessages: number;

  @ApiProperty({ example: 2 })
  deadLetters: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { nova: 12, dexter: 28 },
  })
  streamsByAgent: Record<string, number>;

  @ApiProperty({ example: 0, description: 'stream entries not yet archived to Postgres' })
  archiveLag: number;
}

export function toStatsResponse(stats: ContextSyncStats): StatsResponse {
  return {
    totalMessages: stats.totalMessages,
    pendingMessages: stats.pendingMessages,
    acknowledgedMessages: stats.acknowledgedMessages,
    deadLetters: stats.deadLetters,
    streamsByAgent: stats.streamsByAgent,
    archiveLag: stats.archiveLag,
  };
}
