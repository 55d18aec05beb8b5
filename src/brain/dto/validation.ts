import {
  applyDecorators,
  ArgumentMetadata,
  BadRequestException,
  Injectable,
  PipeTransform,
} from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  ValidateIf,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  NotEquals,
  ValidateBy,
} from 'class-validator';
import { SAFE_TEXT_RULE, isSafeText } from '../../common/json-input';
import {
  AGENT_ID_PATTERN,
  AGENT_ID_RULE,
  BROADCAST,
  isAgentId,
  MESSAGE_ID_PATTERN,
  PRIORITIES,
} from '../../common/ids';
import { MAX_COUNT, MAX_TAG_LENGTH, MAX_TAGS, MAX_TYPE_LENGTH } from '../../common/limits';

/**
 * Shared input rules for the REST API. Everything a request carries is checked here, before any Redis or SQL:
 * the answer to bad input is a 400 whose message names the field.
 */

const lowercase = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.toLowerCase() : value;

/** An agent id field (body). */
export const IsAgentIdField = () =>
  applyDecorators(
    IsString({ message: `$property ${AGENT_ID_RULE}` }),
    Matches(AGENT_ID_PATTERN, { message: `$property ${AGENT_ID_RULE}` }),
    NotEquals(BROADCAST, { message: `$property ${AGENT_ID_RULE}` }),
  );

/** A UUID field; accepted in any case, stored lowercase (the form Brain's keys use). */
export const IsUuidField = () =>
  applyDecorators(
    Transform(lowercase),
    IsString({ message: '$property must be a UUID' }),
    Matches(MESSAGE_ID_PATTERN, { message: '$property must be a UUID' }),
  );

export const IsPriorityField = () =>
  IsIn(PRIORITIES, { message: `$property must be one of ${PRIORITIES.join(', ')}` });

/** Text that Brain can store: no NUL, no unpaired surrogate (non-strings are left to the type rule). */
export const IsSafeText = ({ each = false } = {}) =>
  ValidateBy(
    {
      name: 'isSafeText',
      validator: { validate: (value: unknown) => typeof value !== 'string' || isSafeText(value) },
    },
    { each, message: `$property ${SAFE_TEXT_RULE}` },
  );

const OPAQUE_JSON_FIELDS = Symbol('opaqueJsonFields');

export interface OpaqueJsonField {
  name: string;
  /** Whether its keys and strings must be safe text (metadata is stored in a relational row, not as an archive). */
  safeText: boolean;
}

/**
 * A JSON object (not an array, not null): what `context`, `payload` and `metadata` must be. Its content is opaque
 * and must round-trip exactly, so BrainValidationPipe keeps it away from class-transformer, which drops keys named
 * like Object.prototype members; the field is listed on the class for the pipe to find.
 */
export const IsJsonObjectField =
  ({ safeText = false } = {}): PropertyDecorator =>
  (target, key) => {
    const inherited = (Reflect.getMetadata(OPAQUE_JSON_FIELDS, target) ?? []) as OpaqueJsonField[];
    const field: OpaqueJsonField = { name: String(key), safeText };
    Reflect.defineMetadata(OPAQUE_JSON_FIELDS, [...inherited, field], target);
    IsObject({ message: '$property must be a JSON object' })(target, key);
  };

/** The opaque JSON fields of a request class (its own and inherited ones). */
export function opaqueJsonFields(metatype: unknown): readonly OpaqueJsonField[] {
  const prototype = (metatype as { prototype?: object } | undefined)?.prototype;
  return prototype ? ((Reflect.getMetadata(OPAQUE_JSON_FIELDS, prototype) ?? []) as OpaqueJsonField[]) : [];
}

/**
 * Composite rules apply their checks in the order listed (type first), so with stopAtFirstError the message
 * names the first thing wrong. (Stacked decorators would run bottom-up.)
 */
export const IsBoundedString = (max: number) =>
  applyDecorators(
    IsString({ message: `$property must be a string of at most ${max} characters` }),
    MaxLength(max, { message: `$property must be a string of at most ${max} characters` }),
    IsSafeText(),
  );

export const IsMessageTypeField = () => IsBoundedString(MAX_TYPE_LENGTH);

/** A list of at most `maxItems` strings of 1..`maxLength` characters (tags: also without commas, as they travel as comma lists in queries). */
export const IsStringList = (maxItems: number, maxLength: number, { commas = true } = {}) => {
  const what = `$property must be a list of at most ${maxItems} strings of 1..${maxLength} characters`;
  const message = commas ? what : `${what} without commas`;
  return applyDecorators(
    IsArray({ message }),
    ArrayMaxSize(maxItems, { message }),
    IsString({ each: true, message }),
    Matches(new RegExp(`^${commas ? '.' : '[^,]'}{1,${maxLength}}$`, 's'), { each: true, message }),
    IsSafeText({ each: true }),
  );
};

export const IsTagListField = () => IsStringList(MAX_TAGS, MAX_TAG_LENGTH, { commas: false });

/** 1..MAX_COUNT message ids. */
export const IsMessageIdList = () => {
  const message = `$property must be an array of 1..${MAX_COUNT} UUIDs`;
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      Array.isArray(value) ? value.map((id) => (typeof id === 'string' ? id.toLowerCase() : id)) : value,
    ),
    IsArray({ message }),
    ArrayMinSize(1, { message }),
    ArrayMaxSize(MAX_COUNT, { message }),
    Matches(MESSAGE_ID_PATTERN, { each: true, message: 'each of $property must be a UUID' }),
  );
};

/**
 * Query strings carry text: only plain decimal digits become a number. `Number()` alone would also accept `''`,
 * `0x10`, `1e3` and `' 7 '`, so those stay text and fail IsInt.
 */
const decimalInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;

/**
 * A whole number within bounds in a JSON body (`"10"` is text, not a number). Each check names the whole rule, so
 * a string, a fraction and a number out of range are all told the type and the range.
 */
export const IsIntegerField = (min: number, max: number) => {
  const message = `$property must be an integer between ${min} and ${max}`;
  return applyDecorators(IsInt({ message }), Min(min, { message }), Max(max, { message }));
};

/** A whole number within bounds: from the query string (decimal digits only), or a JSON number in a body. */
export const IsIntegerParam = (min: number, max: number) =>
  applyDecorators(Transform(decimalInteger), IsIntegerField(min, max));

/** `{id}`, `{a}`, `{b}` path parameters: an agent id, or 400 before anything else happens. */
@Injectable()
export class AgentIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    if (typeof value !== 'string' || !isAgentId(value)) {
      throw new BadRequestException(`${metadata.data ?? 'agent id'} ${AGENT_ID_RULE}`);
    }
    return value;
  }
}

/** `{messageId}` path parameter: a UUID, lowercased. */
@Injectable()
export class MessageIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, metadata: ArgumentMetadata): string {
    const id = typeof value === 'string' ? value.toLowerCase() : '';
    if (!MESSAGE_ID_PATTERN.test(id))
      throw new BadRequestException(`${metadata.data ?? 'id'} must be a UUID`);
    return id;
  }
}

/** OpenAPI description of an agent-id path parameter. */
export const ApiAgentIdParam = (name: string, description: string) =>
  ApiParam({
    name,
    description: `${description}; ${AGENT_ID_RULE}`,
    schema: { type: 'string', pattern: AGENT_ID_PATTERN.source, example: 'nova' },
  });

export const ApiMessageIdParam = () =>
  ApiParam({
    name: 'messageId',
    description: 'the message id (UUID)',
    schema: { type: 'string', format: 'uuid', example: '6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10' },
  });

/**
 * The body of routes that take none: `{}` or nothing. It has one rule (no field may be set) because ValidationPipe
 * refuses an array or a primitive body only for classes that have rules; without it `[]` or `42` would pass.
 */
export class EmptyRequest {
  @ValidateIf(() => true)
  @Equals(undefined, { message: 'this route takes no body fields' })
  readonly none?: never;
}
