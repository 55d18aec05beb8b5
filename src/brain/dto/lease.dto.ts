import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { AGENT_ID_PATTERN, CONSUMER_PATTERN } from '../../common/ids';
import { MAX_LEASE_EXTENSION_MS } from '../../common/limits';
import { IsAgentIdField } from './validation';

const EXTEND_MS_RULE = `extendMs must be an integer from 1 to ${MAX_LEASE_EXTENSION_MS}`;

export class ExtendLeaseRequest {
  @ApiProperty({
    pattern: CONSUMER_PATTERN.source,
    example: 'worker-1',
    description: 'the consumer holding it',
  })
  @Matches(CONSUMER_PATTERN, { message: `consumer must match ${CONSUMER_PATTERN.source}` })
  consumer: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: MAX_LEASE_EXTENSION_MS,
    example: 120000,
    description:
      'keep it from the agent’s other consumers for this many ms from now, even beyond BRAIN_VISIBILITY_TIMEOUT_MS',
  })
  @IsInt({ message: EXTEND_MS_RULE })
  @Min(1, { message: EXTEND_MS_RULE })
  @Max(MAX_LEASE_EXTENSION_MS, { message: EXTEND_MS_RULE })
  extendMs: number;

  @ApiPropertyOptional({
    pattern: AGENT_ID_PATTERN.source,
    description:
      'the recipient: the caller itself (may be omitted); required when the admin extends for an agent',
  })
  @IsOptional()
  @IsAgentIdField()
  agentId?: string;
}

export class LeaseResponse {
  @ApiProperty({ format: 'uuid', example: '6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10' })
  id: string;

  @ApiProperty({ example: 'worker-1' })
  consumer: string;

  @ApiProperty({ format: 'date-time', example: '2025-11-13T14:02:00.000Z', description: 'now + extendMs' })
  leasedUntil: string;
}
