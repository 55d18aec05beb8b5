import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { MAX_CAPABILITY_LENGTH } from '../../common/limits';
import { IsSafeText } from './validation';

/* The v1.1 publishing options: how a message is routed, and what a ContextMessage says about them. */

export class RoutingRequest {
  @ApiProperty({
    minLength: 1,
    maxLength: MAX_CAPABILITY_LENGTH,
    example: 'analysis',
    description: 'one of the capabilities agents registered with',
  })
  @IsString({ message: `routing.capability must be a string of 1..${MAX_CAPABILITY_LENGTH} characters` })
  @Length(1, MAX_CAPABILITY_LENGTH, {
    message: `routing.capability must be a string of 1..${MAX_CAPABILITY_LENGTH} characters`,
  })
  @IsSafeText()
  capability: string;
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
    description: 'when it becomes pending (delayMs)',
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
