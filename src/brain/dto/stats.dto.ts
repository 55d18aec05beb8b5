import { ApiProperty } from '@nestjs/swagger';
import type { ContextSyncStats } from '../../context-sync/context-message';

export class StatsResponse {
  @ApiProperty({ type: 'integer', example: 1200, description: 'messages in the live streams' })
  totalMessages: number;

  @ApiProperty({ type: 'integer', example: 40, description: 'recipient deliveries not yet acknowledged' })
  pendingMessages: number;

  @ApiProperty({ type: 'integer', example: 1160 })
  acknowledgedMessages: number;

  @ApiProperty({ type: 'integer', example: 2 })
  deadLetters: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { nova: 12, dexter: 28 },
  })
  streamsByAgent: Record<string, number>;

  @ApiProperty({
    type: 'integer',
    example: 0,
    description:
      'messages and acknowledgements not yet archived to Postgres (entries of the streams and ack logs)',
  })
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
