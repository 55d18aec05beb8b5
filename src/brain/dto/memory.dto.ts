import { CURSOR_PATTERN } from '../../common/ids';
import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, Matches } from 'class-validator';
import {
  MemoryQuery,
  MemoryRecord,
  Page,
  PageQuery,
  VISIBILITIES,
  Visibility,
} from '../../memory/memory-record';
import {
  MAX_PAGE_LIMIT,
  MAX_QUERY_TEXT_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  MAX_TTL_SECONDS,
  MAX_TYPE_LENGTH,
} from '../../common/limits';
import { DEFAULT_PAGE_LIMIT } from '../brain-ai.service';
import {
  IsBoundedString,
  IsIntegerParam,
  IsJsonObjectField,
  IsMessageTypeField,
  IsTagListField,
} from './validation';

// ---- requests -------------------------------------------------------------------------------------------------

export class StoreMemoryRequest {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { region: 'EMEA', revenue: 1250000 } })
  @IsJsonObjectField()
  context: Record<string, unknown>;

  @ApiPropertyOptional({ type: String, maxLength: MAX_TYPE_LENGTH, example: 'sales_data', nullable: true })
  @IsOptional()
  @IsMessageTypeField()
  type?: string | null;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_TAGS,
    example: ['q3', 'emea'],
    description: `at most ${MAX_TAGS} tags of 1..${MAX_TAG_LENGTH} characters (no commas)`,
  })
  @IsOptional()
  @IsTagListField()
  tags?: string[];

  @ApiPropertyOptional({
    enum: VISIBILITIES,
    default: 'shared',
    description: 'private: only the owner (and the admin) read it',
  })
  @IsOptional()
  @IsIn(VISIBILITIES, { message: `visibility must be one of ${VISIBILITIES.join(', ')}` })
  visibility?: Visibility;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_TTL_SECONDS,
    example: 3600,
    description: 'forget the record after this many seconds',
  })
  @IsOptional()
  @IsIntegerParam(1, MAX_TTL_SECONDS)
  ttlSeconds?: number;
}

export class PageRequest {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })
  @IsOptional()
  @IsIntegerParam(1, MAX_PAGE_LIMIT)
  limit?: number;

  @ApiPropertyOptional({
    description: 'the nextCursor of the previous page',
    example: 'MjAyNS0xMS0xM1QxNDowMDowMC4wMDBafDZmMWM',
  })
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'cursor is not valid (use the nextCursor of the previous page)' })
  cursor?: string;
}

const commaList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.split(',').map((tag) => tag.trim()) : value;

export class TimeWindowRequest {
  @ApiPropertyOptional({ format: 'date-time', example: '2025-11-13T00:00:00Z', description: 'inclusive' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO-8601 date-time' })
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2025-11-14T00:00:00Z', description: 'exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO-8601 date-time' })
  until?: string;
}

export class MemoryQueryRequest extends IntersectionType(PageRequest, TimeWindowRequest) {
  @ApiPropertyOptional({ maxLength: MAX_TYPE_LENGTH, example: 'sales_data' })
  @IsOptional()
  @IsMessageTypeField()
  type?: string;

  @ApiPropertyOptional({ type: String, example: 'q3,emea', description: 'comma list; every tag must match' })
  @IsOptional()
  @Transform(commaList)
  @IsTagListField()
  tags?: string[];

  @ApiPropertyOptional({
    maxLength: MAX_QUERY_TEXT_LENGTH,
    example: 'revenue -forecast',
    description: 'full-text search (words, "a phrase", -not, or)',
  })
  @IsOptional()
  @IsBoundedString(MAX_QUERY_TEXT_LENGTH)
  q?: string;
}

// ---- responses ------------------------------------------------------------------------------------------------

export class MemoryRecordResponse {
  @ApiProperty({ format: 'uuid', example: '0b6f2f1e-7d4c-4b8e-9a2f-3c1d5e7f9a11' })
  id: string;

  @ApiProperty({ example: 'nova' })
  agentId: string;

  @ApiProperty({ enum: ['context', 'message'] })
  kind: 'context' | 'message';

  @ApiProperty({ type: String, nullable: true, example: 'sales_data' })
  type: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { region: 'EMEA', revenue: 1250000 } })
  context: Record<string, unknown>;

  @ApiProperty({ type: [String], example: ['q3', 'emea'] })
  tags: string[];

  @ApiProperty({ enum: VISIBILITIES })
  visibility: Visibility;

  @ApiProperty({ format: 'date-time', example: '2025-11-13T14:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  expiresAt: string | null;

  @ApiPropertyOptional({ example: 'nova', description: "kind 'message' only" })
  fromAgent?: string;

  @ApiPropertyOptional({
    example: 'dexter',
    description: "kind 'message' only: the recipient or 'broadcast'",
  })
  toAgent?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "kind 'message' only" })
  messageId?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: "kind 'message' only: the message it answers (threads), or null",
  })
  inReplyTo?: string | null;
}

export class MemoryRecordPageResponse {
  @ApiProperty({ type: [MemoryRecordResponse] })
  items: MemoryRecordResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'pass as `cursor` for the next page; null on the last page. A page stops at `limit` records or at ' +
      'BRAIN_MAX_PAGE_BYTES of JSON, whichever comes first (a single larger record comes alone).',
  })
  nextCursor: string | null;
}

// ---- mappers --------------------------------------------------------------------------------------------------

export function toMemoryRecordResponse(record: MemoryRecord): MemoryRecordResponse {
  const response: MemoryRecordResponse = {
    id: record.id,
    agentId: record.agentId,
    kind: record.kind,
    type: record.type,
    context: record.context,
    tags: record.tags,
    visibility: record.visibility,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
  };
  if (record.kind === 'message') {
    response.fromAgent = record.fromAgent;
    response.toAgent = record.toAgent;
    response.messageId = record.messageId;
    response.inReplyTo = record.inReplyTo ?? null;
  }
  return response;
}

export function toMemoryRecordPageResponse(page: Page<MemoryRecord>): MemoryRecordPageResponse {
  return { items: page.items.map(toMemoryRecordResponse), nextCursor: page.nextCursor };
}

export function toPageQuery(request: PageRequest): PageQuery {
  return { limit: request.limit ?? DEFAULT_PAGE_LIMIT, cursor: request.cursor };
}

const toDate = (value: string | undefined): Date | undefined => (value ? new Date(value) : undefined);

export function toMemoryQuery(request: MemoryQueryRequest): MemoryQuery {
  return {
    ...toPageQuery(request),
    type: request.type,
    tags: request.tags,
    q: request.q,
    since: toDate(request.since),
    until: toDate(request.until),
  };
}

export function toTimeWindow(request: TimeWindowRequest): { since?: Date; until?: Date } {
  return { since: toDate(request.since), until: toDate(request.until) };
}
