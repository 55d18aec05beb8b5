import {
  ArgumentMetadata,
  BadRequestException,
  Injectable,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import { isJsonObject, prototypeNamedFieldProblem, unsafeTextProblem } from '../../common/json-input';
import { fastAcceptFor } from './fast-validation';
import { opaqueJsonFields } from './validation';

/** Brain's validation: bad input is answered before any Redis or SQL is touched; the message names the field. */
export const BRAIN_VALIDATION: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
};

/**
 * ValidationPipe, except that opaque JSON fields (`context`, `metadata`) reach the handler exactly as sent.
 * ValidationPipe deletes `constructor` and `prototype` keys at every depth and class-transformer drops keys named
 * like Object.prototype members (and fails on a `constructor` that is not a function), so each such field is
 * validated as a stand-in `{}` and put back afterwards. The body parser has refused `__proto__` and deep nesting.
 * Since those keys never reach the whitelist check, a field (of a body or a query) named like one is refused here.
 *
 * A body or query that passes every rule takes the fast path (fast-validation.ts): the same rules, without
 * class-validator's per-call machinery. Anything else, every 400 included, goes through the full pipe.
 */
@Injectable()
export class BrainValidationPipe extends ValidationPipe {
  /** The fast path assumes these options: it builds the instance the full pipe would, and refuses unknown fields. */
  private readonly fastPath: boolean;

  constructor(options: ValidationPipeOptions) {
    super(options);
    const unfollowed: (keyof ValidationPipeOptions)[] = [
      'transformOptions',
      'expectedType',
      'groups',
      'always',
      'strictGroups',
      'skipMissingProperties',
      'skipUndefinedProperties',
      'skipNullProperties',
    ];
    this.fastPath =
      options.whitelist === true &&
      options.forbidNonWhitelisted === true &&
      options.transform === true &&
      unfollowed.every((name) => options[name] === undefined);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      this.fastPath &&
      (metadata.type === 'body' || metadata.type === 'query') &&
      this.toValidate(metadata)
    ) {
      const entity = fastAcceptFor(metadata.metatype, metadata.type)?.(value);
      if (entity !== undefined) return entity;
    }
    return this.validateFully(value, metadata);
  }

  /** The full pipe: what decides every request the fast path does not accept (and, in tests, its reference). */
  async validateFully(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Left to ValidationPipe, `[]`, `"x"` or `null` would be told about a missing field, or "Validation failed
    // (object is expected)", depending on the route; an absent body stays `{}`.
    if (
      metadata.type === 'body' &&
      metadata.data === undefined &&
      this.toValidate(metadata) &&
      value !== undefined &&
      !isJsonObject(value)
    )
      throw new BadRequestException('body must be a JSON object');
    const fields = metadata.type === 'body' ? opaqueJsonFields(metadata.metatype) : [];
    if ((metadata.type === 'body' || metadata.type === 'query') && this.toValidate(metadata)) {
      const problem = prototypeNamedFieldProblem(value, new Set(fields.map(({ name }) => name)));
      if (problem) throw new BadRequestException(problem);
    }
    if (fields.length === 0 || !isJsonObject(value)) return super.transform(value, metadata);
    const opaque = new Map<string, Record<string, unknown>>();
    const standIn: Record<string, unknown> = { ...value };
    for (const { name } of fields) {
      const json = standIn[name];
      if (isJsonObject(json)) {
        opaque.set(name, json);
        standIn[name] = {};
      }
    }
    const entity = (await super.transform(standIn, metadata)) as Record<string, unknown>;
    for (const { name, safeText } of fields) {
      const json = opaque.get(name);
      if (json === undefined) continue;
      const problem = safeText ? unsafeTextProblem(json, name) : null;
      if (problem) throw new BadRequestException(problem);
      entity[name] = json;
    }
    return entity;
  }
}
