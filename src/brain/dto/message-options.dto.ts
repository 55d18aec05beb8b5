import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Min } from 'class-validator';
import { MAX_CAPABILITY_LENGTH, MAX_PUBLISH_DELAY_MS } from '../../common/limits';
import { IsIntegerField, IsSafeText, IsUuidField } from './validation';

const EXAMPLE_ID = '6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10';

/* The v1.1 publishing options: how a message is routed, and what a ContextMessage says about them. */

export class RoutingRequest {
  @ApiProperty({
    minLength: 1,
    maxLength: MAX_CAPABILITY_LENGTH,
    example: 'analysis',
    description: 'one of the capabilities agents registered with',
  })
  // `$property`: the pipe names a nested field by its path itself (routing.capability).
  @IsString({ message: `$property must be a string of 1..${MAX_CAPABILITY_LENGTH} characters` })
  @Length(1, MAX_CAPABILITY_LENGTH, {
    message: `$property must be a string of 1..${MAX_CAPABILITY_LENGTH} characters`,
  })
  @IsSafeText()
  capability: string;
}

/** The v1.1 publishing options of POST /v1/messages and /v1/broadcasts. */
export abstract class PublishOptionsRequest {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    example: 300,
    description:
      'after this many seconds the message is pending for nobody (status.expired true; history keeps it). ' +
      'At most BRAIN_RETENTION_HOURS × 3600.',
  })
  @IsOptional()
  @IsInt({ message: 'ttlSeconds must be an integer of at least 1' })
  @Min(1, { message: 'ttlSeconds must be an integer of at least 1' })
  ttlSeconds?: number;

  @ApiPropertyOptional({ format: 'uuid', example: EXAMPLE_ID, description: 'the message this one answers' })
  @IsOptional()
  @IsUuidField()
  inReplyTo?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_PUBLISH_DELAY_MS,
    description:
      'delayed delivery: not pending (nor peeked, leased or pushed) before timestamp + delayMs (deliverAt)',
  })
  @IsOptional()
  @IsIntegerField(0, MAX_PUBLISH_DELAY_MS)
  delayMs?: number;
}

/** Fields of every ContextMessage added in v1.1, each null when unused. */
export abstract class MessageOptionsResponse {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: null,
    description: 'the message it answers',
  })
  inReplyTo: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'when it stops being pending for anyone (ttlSeconds); null without a TTL',
  })
  expiresAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'a delayed message (delayMs): when it is (was) due; null otherwise',
  })
  deliverAt: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: "'capability:<name>' when Brain chose the recipient by capability, else null",
  })
  routedBy: string | null;
}
