import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, Matches } from 'class-validator';
import { CONSUMER_PATTERN } from '../../common/ids';
import { MAX_NACK_DELAY_MS, MAX_NACK_REASON_LENGTH } from '../../common/limits';
import { AcknowledgeRequest } from './message.dto';
import { IsBoundedString, IsIntegerField } from './validation';

export class NackRequest extends AcknowledgeRequest {
  @ApiPropertyOptional({
    pattern: CONSUMER_PATTERN.source,
    example: 'worker-1',
    description: 'the lease consumer giving it back: 409 while another consumer holds the lease',
  })
  @IsOptional()
  @Matches(CONSUMER_PATTERN, { message: `consumer must match ${CONSUMER_PATTERN.source}` })
  consumer?: string;

  @ApiPropertyOptional({
    maxLength: MAX_NACK_REASON_LENGTH,
    example: 'schema mismatch',
    description: "why; a rejection's dead letter carries it as `detail`",
  })
  @IsOptional()
  @IsBoundedString(MAX_NACK_REASON_LENGTH)
  reason?: string;

  @ApiPropertyOptional({
    default: true,
    description:
      'true: pending again for the agent (after delayMs), its deliveryCount kept (it counts toward ' +
      'BRAIN_MAX_DELIVERIES); false: to its dead letters now, reason rejected',
  })
  @IsOptional()
  @IsBoolean()
  requeue?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_NACK_DELAY_MS,
    default: 0,
    description: 'with requeue: not leased again before this many ms',
  })
  @IsOptional()
  @IsIntegerField(0, MAX_NACK_DELAY_MS)
  delayMs?: number;
}

export class NackResponse {
  @ApiProperty({ format: 'uuid', example: '6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10' })
  id: string;

  @ApiProperty({ example: 'dexter' })
  agentId: string;

  @ApiProperty({ enum: ['requeued', 'dead_lettered'], example: 'requeued' })
  outcome: 'requeued' | 'dead_lettered';
}
