import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, Matches, ValidateIf, ValidateNested } from 'class-validator';
import {
  DEAD_LETTER_REASONS,
  DeadLetterPage,
  type Acknowledgement,
  type ContextMessage,
  type DeadLetterReason,
  type MessageStatus,
} from '../../context-sync/context-message';
import { AGENT_ID_PATTERN, CONSUMER_PATTERN, CURSOR_PATTERN, PRIORITIES, Priority } from '../../common/ids';
import { MAX_COUNT, MAX_TYPE_LENGTH, MAX_WAIT_MS } from '../../common/limits';
import {
  IsAgentIdField,
  IsIntegerParam,
  IsJsonObjectField,
  IsMessageIdList,
  IsMessageTypeField,
  IsPriorityField,
  IsUuidField,
} from './validation';
import { MessageOptionsResponse, PublishOptionsRequest, RoutingRequest } from './message-options.dto';

export { RoutingRequest } from './message-options.dto';

const EXAMPLE_ID = '6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10';

// ---- requests -------------------------------------------------------------------------------------------------

export class SendBroadcastRequest extends PublishOptionsRequest {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { query: 'Q3 sales by region' } })
  @IsJsonObjectField()
  context: Record<string, unknown>;

  @ApiPropertyOptional({ enum: PRIORITIES, default: 'medium' })
  @IsOptional()
  @IsPriorityField()
  priority?: Priority;

  @ApiPropertyOptional({ type: String, maxLength: MAX_TYPE_LENGTH, example: 'sales_data', nullable: true })
  @IsOptional()
  @IsMessageTypeField()
  type?: string | null;

  @ApiPropertyOptional({
    format: 'uuid',
    example: EXAMPLE_ID,
    description: 'client-chosen id: publishing the same id again answers 200 with the original message',
  })
  @IsOptional()
  @IsUuidField()
  id?: string;

  @ApiPropertyOptional({
    pattern: AGENT_ID_PATTERN.source,
    example: 'nova',
    description: 'the sender: must be the calling agent if given; required when the admin publishes',
  })
  @IsOptional()
  @IsAgentIdField()
  sourceAgent?: string;
}

export class SendMessageRequest extends SendBroadcastRequest {
  @ApiPropertyOptional({
    pattern: AGENT_ID_PATTERN.source,
    example: 'dexter',
    description: 'the recipient; exactly one of targetAgent and routing',
  })
  @IsOptional()
  @IsAgentIdField()
  targetAgent?: string;

  @ApiPropertyOptional({
    type: RoutingRequest,
    description:
      'instead of targetAgent: Brain picks, among the registered agents offering the capability (never the ' +
      'sender), the one with the fewest pending messages (ties: the one routed to least recently)',
  })
  // Only an absent routing is optional: null is a routing that is not an object (as a null targetAgent is a
  // targetAgent that is not an agent id), not "neither of the two".
  @ValidateIf((_request: object, routing: unknown) => routing !== undefined)
  @IsObject({ message: 'routing must be an object' })
  @ValidateNested()
  @Type(() => RoutingRequest)
  routing?: RoutingRequest;
}

export class PendingQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_COUNT, default: 10 })
  @IsOptional()
  @IsIntegerParam(1, MAX_COUNT)
  count?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_WAIT_MS,
    default: 0,
    description:
      'long poll: with nothing pending, hold up to this many ms and answer as soon as a message arrives. ' +
      'While BRAIN_MAX_WAITERS requests already wait on the replica, 429 with Retry-After instead of waiting.',
  })
  @IsOptional()
  @IsIntegerParam(0, MAX_WAIT_MS)
  wait?: number;

  @ApiPropertyOptional({
    pattern: CONSUMER_PATTERN.source,
    example: 'worker-1',
    description:
      'lease mode: the consumer name of this replica of the agent. Without it the call is a peek that changes nothing.',
  })
  @IsOptional()
  @Matches(CONSUMER_PATTERN, { message: `consumer must match ${CONSUMER_PATTERN.source}` })
  consumer?: string;

  @ApiPropertyOptional({ enum: PRIORITIES, description: 'only messages of this priority' })
  @IsOptional()
  @IsPriorityField()
  priority?: Priority;
}

export class AcknowledgeRequest {
  @ApiPropertyOptional({
    pattern: AGENT_ID_PATTERN.source,
    description:
      'the recipient acknowledging: the caller itself (may be omitted); required when the admin acknowledges for an agent',
  })
  @IsOptional()
  @IsAgentIdField()
  agentId?: string;
}

export class AcknowledgeManyRequest {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_COUNT, example: [EXAMPLE_ID] })
  @IsMessageIdList()
  ids: string[];
}

export class DeadLettersQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_COUNT, default: 100 })
  @IsOptional()
  @IsIntegerParam(1, MAX_COUNT)
  limit?: number;

  @ApiPropertyOptional({
    description: 'the nextCursor of the previous page',
    example: 'MTc2MzA0MjQwMDAwMC0wfA',
  })
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'cursor is not valid (use the nextCursor of the previous page)' })
  cursor?: string;
}

// ---- responses ------------------------------------------------------------------------------------------------

export class ContextMessageResponse extends MessageOptionsResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID })
  id: string;

  @ApiProperty({ example: 'nova' })
  fromAgent: string;

  @ApiProperty({ example: 'dexter', description: "the recipient, or 'broadcast'" })
  toAgent: string;

  @ApiProperty({ format: 'date-time', example: '2025-11-13T14:00:00.000Z' })
  timestamp: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { query: 'Q3 sales by region' } })
  payload: Record<string, unknown>;

  @ApiProperty({ enum: PRIORITIES, example: 'high' })
  priority: Priority;

  @ApiProperty({ type: String, nullable: true, example: 'sales_data' })
  type: string | null;

  @ApiProperty({
    type: 'integer',
    example: 0,
    description: 'times the message was handed to a consumer (lease mode)',
  })
  deliveryCount: number;
}

export class ContextMessageListResponse {
  @ApiProperty({ type: [ContextMessageResponse] })
  items: ContextMessageResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'always null: ask again for more',
  })
  nextCursor: null;
}

export class MessageStatusResponse {
  @ApiProperty({ description: 'true once every recipient has acknowledged', example: false })
  acknowledged: boolean;

  @ApiProperty({ type: [String], example: ['nova'] })
  acknowledgedBy: string[];

  @ApiProperty({
    type: [String],
    example: ['dexter'],
    description:
      'recipients for whom it is deliverable and not yet acknowledged (dead-lettered ones are not listed)',
  })
  pendingFor: string[];

  @ApiProperty({
    type: [String],
    example: [],
    description: 'recipients for whom it is among the dead letters, not acknowledged',
  })
  deadLetteredFor: string[];

  @ApiProperty({ type: Boolean, example: false, description: 'past its ttlSeconds: pending for nobody' })
  expired: boolean;
}

export class MessageWithStatusResponse extends ContextMessageResponse {
  @ApiProperty({ type: MessageStatusResponse })
  status: MessageStatusResponse;
}

export class DeadLetterResponse extends ContextMessageResponse {
  @ApiProperty({
    enum: DEAD_LETTER_REASONS,
    example: 'max_deliveries',
    description:
      'max_deliveries: BRAIN_MAX_DELIVERIES reached without an ack; rejected: a nack with requeue false',
  })
  reason: DeadLetterReason;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'the reason text given with a rejection; null for max_deliveries',
  })
  detail: string | null;

  @ApiProperty({ format: 'date-time', example: '2025-11-13T14:03:00.000Z' })
  deadAt: string;
}

export class DeadLetterListResponse {
  @ApiProperty({ type: [DeadLetterResponse] })
  items: DeadLetterResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description:
      'pass as `cursor` for the next page; null on the last page. A page stops at `limit` letters or at ' +
      'BRAIN_MAX_PAGE_BYTES of JSON, whichever comes first (a single larger letter comes alone).',
  })
  nextCursor: string | null;
}

export class AcknowledgementResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID })
  id: string;

  @ApiProperty({ example: 'dexter' })
  agentId: string;

  @ApiProperty({ enum: [true] })
  acknowledged: true;

  @ApiProperty({ format: 'date-time', example: '2025-11-13T14:01:00.000Z' })
  acknowledgedAt: string;
}

export class AcknowledgedCountResponse {
  @ApiProperty({
    type: 'integer',
    example: 2,
    description: 'how many of the ids are acknowledged by the agent after the call',
  })
  acknowledged: number;
}

// ---- mappers --------------------------------------------------------------------------------------------------

export function toContextMessageResponse(message: ContextMessage): ContextMessageResponse {
  return {
    id: message.id,
    fromAgent: message.fromAgent,
    toAgent: message.toAgent,
    timestamp: message.timestamp,
    payload: message.payload,
    priority: message.priority,
    type: message.type ?? null,
    deliveryCount: message.deliveryCount,
    inReplyTo: message.inReplyTo ?? null,
    expiresAt: message.expiresAt ?? null,
    deliverAt: message.deliverAt ?? null,
    routedBy: message.routedBy ?? null,
  };
}

export function toContextMessageListResponse(messages: ContextMessage[]): ContextMessageListResponse {
  return { items: messages.map(toContextMessageResponse), nextCursor: null };
}

export function toMessageWithStatusResponse(
  message: ContextMessage,
  status: MessageStatus,
): MessageWithStatusResponse {
  return {
    ...toContextMessageResponse(message),
    status: {
      acknowledged: status.acknowledged,
      acknowledgedBy: status.acknowledgedBy,
      pendingFor: status.pendingFor,
      deadLetteredFor: status.deadLetteredFor,
      expired: status.expired,
    },
  };
}

export function toDeadLetterListResponse(page: DeadLetterPage): DeadLetterListResponse {
  return {
    items: page.items.map((letter) => ({
      ...toContextMessageResponse(letter),
      reason: letter.reason,
      detail: letter.detail,
      deadAt: letter.deadAt,
    })),
    nextCursor: page.nextCursor,
  };
}

export function toAcknowledgementResponse(ack: Acknowledgement): AcknowledgementResponse {
  return { id: ack.id, agentId: ack.agentId, acknowledged: true, acknowledgedAt: ack.acknowledgedAt };
}
