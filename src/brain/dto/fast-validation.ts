import { TransformationType, TransformFnParams } from 'class-transformer';
import { defaultOptions } from 'class-transformer/cjs/constants/default-options.constant';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import {
  getMetadataStorage,
  MetadataStorage,
  ValidationArguments,
  ValidationTypes,
  ValidatorConstraintInterface,
} from 'class-validator';
import { unsafeTextProblem } from '../../common/json-input';
import { opaqueJsonFields } from './validation';

/**
 * The fast path of BrainValidationPipe: it only ever says "valid, and here is the instance the full pipe would
 * have built", or "ask the full pipe". Every 400 therefore still comes from class-validator's own run, word for
 * word; what is skipped for the requests that pass is its per-call work (metadata lookups and grouping, an error
 * object per property, class-transformer's key-by-key metadata search), about 20 µs of a publish.
 *
 * Nothing here restates a rule: a class is compiled from the decorators themselves (class-validator's validation
 * metadata, whose constraint objects are called exactly as class-validator calls them, and class-transformer's
 * @Transform and @Type metadata), once, on its first request. A class using anything outside that subset (groups,
 * @Expose/@Exclude, discriminators, async rules, accessors) gets no fast path. fast-validation.spec.ts checks, input
 * by input, that whatever is accepted here is accepted by the full pipe with an equal instance.
 */
export type FastAccept = (value: unknown) => object | undefined;

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];
type Constraint = { instance: ValidatorConstraintInterface };

interface Rule {
  metadata: ValidationMetadata;
  constraints: Constraint[];
}

interface Property {
  name: string;
  conditions: ValidationMetadata[];
  rules: Rule[];
  nested: boolean;
  transforms: ((params: TransformFnParams) => unknown)[];
  type?: (options: { newObject: object; object: object; property: string }) => unknown;
  /** A body's opaque JSON field: validated as the stand-in `{}` the full pipe gives it, then handed on as sent. */
  opaque?: { safeText: boolean };
}

interface Plan {
  metatype: new () => object;
  properties: Map<string, Property>;
}

/** Only what JSON or a query string can hold: anything else goes to the full pipe. */
const isPrimitive = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
};

const SUPPORTED = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.WHITELIST,
]);

/** A class the fast path cannot follow exactly. */
class Unsupported extends Error {}

/** Validation as ValidationExecutor.execute runs it (whitelist, conditions, rules, nested), answering only yes or no. */
function passes(plan: Plan, entity: Record<string, unknown>): boolean {
  for (const key of Object.keys(entity)) if (!plan.properties.has(key)) return false;
  for (const property of plan.properties.values()) {
    const value = entity[property.name];
    if (!property.conditions.every((condition) => (condition.constraints[0] as Condition)(entity, value)))
      continue;
    for (const { metadata, constraints } of property.rules) {
      if (metadata.validateIf && !metadata.validateIf(entity, value)) continue;
      const args: ValidationArguments = {
        targetName: plan.metatype.name,
        property: metadata.propertyName,
        object: entity,
        value,
        constraints: metadata.constraints as unknown[],
      };
      for (const { instance } of constraints) {
        const values = metadata.each && Array.isArray(value) ? (value as unknown[]) : [value];
        for (const item of values) if (instance.validate(item, args) !== true) return false;
      }
    }
    if (property.nested && value !== undefined) {
      const inner = typeof value === 'object' && value !== null ? plans.get(value.constructor) : undefined;
      if (!inner || !passes(inner, value as Record<string, unknown>)) return false;
    }
  }
  return true;
}

type Condition = (object: object, value: unknown) => boolean;

/** plainToInstance for the shapes a plan knows, key by key as TransformOperationExecutor does; undefined if not. */
function instantiate(
  plan: Plan,
  value: Record<string, unknown>,
  opaque: Map<string, unknown>,
): object | undefined {
  const entity = new plan.metatype() as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    const property = plan.properties.get(key);
    if (!property) return undefined;
    const item = value[key];
    let result: unknown;
    if (property.opaque && isPlainObject(item)) {
      opaque.set(key, item);
      result = {};
    } else if (property.type) {
      const type = property.type({ newObject: entity, object: value, property: key });
      const inner = typeof type === 'function' ? plans.get(type) : undefined;
      if (!inner || !isPlainObject(item)) return undefined;
      result = instantiate(inner, item, new Map());
      if (result === undefined) return undefined;
    } else if (Array.isArray(item)) {
      if (!item.every(isPrimitive)) return undefined;
      result = [...item];
    } else if (isPrimitive(item)) {
      result = item;
    } else {
      return undefined;
    }
    for (const transform of property.transforms)
      result = transform({
        value: result,
        key,
        obj: value,
        type: TransformationType.PLAIN_TO_CLASS,
        options: { ...defaultOptions },
      });
    entity[key] = result;
  }
  return entity;
}

/** Every class planned, by constructor: the nested ones are looked up by the constructor of their instance. */
const plans = new Map<unknown, Plan>();
const compiled = {
  body: new Map<unknown, FastAccept | null>(),
  query: new Map<unknown, FastAccept | null>(),
};

function planOf(metatype: new () => object, opaqueFields: ReturnType<typeof opaqueJsonFields>): Plan {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(
    metatype,
    undefined as unknown as string,
    false,
    false,
  );
  if (metadatas.length === 0) throw new Unsupported('no rules');
  if (defaultMetadataStorage.getStrategy(metatype) !== 'none') throw new Unsupported('a transform strategy');
  if (defaultMetadataStorage.getExposedMetadatas(metatype).length > 0) throw new Unsupported('@Expose');
  if (defaultMetadataStorage.getExcludedMetadatas(metatype).length > 0) throw new Unsupported('@Exclude');
  const properties = new Map<string, Property>();
  for (const [name, group] of Object.entries(storage.groupByPropertyName(metadatas))) {
    if (name in metatype.prototype || name === '__proto__' || name === 'prototype')
      throw new Unsupported(`${name} on the prototype`);
    const property: Property = { name, conditions: [], rules: [], nested: false, transforms: [] };
    for (const metadata of group) {
      if (!SUPPORTED.has(metadata.type)) throw new Unsupported(metadata.type);
      if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) property.conditions.push(metadata);
      if (metadata.type === ValidationTypes.NESTED_VALIDATION) property.nested = true;
      if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION) continue;
      const constraints = storage.getTargetValidatorConstraints(metadata.constraintCls);
      if (constraints.some((constraint) => constraint.async)) throw new Unsupported('an async rule');
      property.rules.push({ metadata, constraints });
    }
    const transforms = defaultMetadataStorage.findTransformMetadatas(
      metatype,
      name,
      TransformationType.PLAIN_TO_CLASS,
    );
    if (transforms.some(({ options }) => options?.groups?.length || options?.since || options?.until))
      throw new Unsupported('a versioned or grouped @Transform');
    property.transforms = transforms.map(({ transformFn }) => transformFn);
    const type = defaultMetadataStorage.findTypeMetadata(metatype, name);
    if (type) {
      if (type.options?.discriminator || !type.typeFunction) throw new Unsupported('a discriminator');
      property.type = type.typeFunction;
    }
    const opaque = opaqueFields.find((field) => field.name === name);
    if (opaque) {
      if (property.type || property.transforms.length > 0)
        throw new Unsupported('an opaque field with a transform');
      property.opaque = { safeText: opaque.safeText };
    }
    properties.set(name, property);
  }
  return { metatype, properties };
}

/** Plans every class the plan nests (@Type of a @ValidateNested property), or says why it cannot. */
function planNested(plan: Plan): void {
  for (const property of plan.properties.values()) {
    if (!property.type) continue;
    if (!property.nested) throw new Unsupported('@Type without @ValidateNested');
    const inner = property.type({ newObject: {}, object: {}, property: property.name });
    if (typeof inner !== 'function') throw new Unsupported('@Type of no class');
    if (plans.has(inner)) continue;
    const innerPlan = planOf(inner as new () => object, []);
    plans.set(inner, innerPlan);
    planNested(innerPlan);
  }
}

/**
 * The fast path for a request class, as a `body` (with its opaque JSON fields) or a `query`; null when the class
 * uses anything it does not follow.
 */
export function fastAcceptFor(metatype: unknown, kind: 'body' | 'query'): FastAccept | null {
  const cache = compiled[kind];
  if (cache.has(metatype)) return cache.get(metatype)!;
  let accept: FastAccept | null = null;
  try {
    const opaqueFields = kind === 'body' ? opaqueJsonFields(metatype) : [];
    const plan = planOf(metatype as new () => object, opaqueFields);
    planNested(plan);
    accept = (input) => {
      // An absent body is `{}`; anything else that is not an object (null included) is the full pipe's 400.
      const value = input === undefined ? {} : input;
      if (!isPlainObject(value)) return undefined;
      const opaque = new Map<string, unknown>();
      const entity = instantiate(plan, value, opaque) as Record<string, unknown> | undefined;
      if (!entity || !passes(plan, entity)) return undefined;
      for (const [name, json] of opaque) {
        if (plan.properties.get(name)!.opaque!.safeText && unsafeTextProblem(json, name)) return undefined;
        entity[name] = json;
      }
      return entity;
    };
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
  }
  cache.set(metatype, accept);
  return accept;
}
