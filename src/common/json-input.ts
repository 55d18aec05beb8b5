/**
 * Rules for JSON that agents send, defined once: the HTTP body parser, the DTO decorators and the validation pipe
 * use them. Every walk here keeps its own stack: the depth of the input is the client's choice, the depth of our
 * call stack must not be.
 */
export const MAX_JSON_DEPTH = 64;

/** NUL, or a UTF-16 surrogate without its other half: JSON allows both, Postgres text and jsonb refuse them. */
export const UNSAFE_TEXT_CHAR = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const SAFE_TEXT_RULE = 'must not contain NUL or unpaired surrogate characters';

export const isSafeText = (text: string): boolean => !UNSAFE_TEXT_CHAR.test(text);

export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What makes a parsed body unacceptable whatever the route: nesting deeper than MAX_JSON_DEPTH (the root object
 * is level 1), or a `__proto__` key at any depth (it would become an object's prototype in code that copies it).
 * Null when the body is fine.
 */
export function jsonBodyProblem(body: unknown): string | null {
  const stack: [object, number][] = typeof body === 'object' && body !== null ? [[body, 1]] : [];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > MAX_JSON_DEPTH) return `body must not be nested deeper than ${MAX_JSON_DEPTH} levels`;
    if (!Array.isArray(value) && Object.hasOwn(value, '__proto__'))
      return "body must not contain the key '__proto__'";
    for (const inner of Object.values(value)) {
      if (typeof inner === 'object' && inner !== null) stack.push([inner, depth + 1]);
    }
  }
  return null;
}

/** The first key or string of `json` that breaks SAFE_TEXT_RULE, as a message naming where it is; else null. */
export function unsafeTextProblem(json: unknown, name: string): string | null {
  const stack: [unknown, string][] = [[json, name]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (!isSafeText(value)) return `${path} ${SAFE_TEXT_RULE}`;
    } else if (typeof value === 'object' && value !== null) {
      const list = Array.isArray(value);
      for (const [key, inner] of Object.entries(value)) {
        if (!isSafeText(key)) return `the keys of ${path} ${SAFE_TEXT_RULE}`;
        stack.push([inner, list ? `${path}[${key}]` : `${path}.${key}`]);
      }
    }
  }
  return null;
}

/** A key that class-transformer drops or ValidationPipe deletes before the whitelist check could see it. */
const isPrototypeName = (key: string): boolean => key === 'prototype' || key in Object.prototype;

/**
 * The first field of a request (body or query) named like an Object.prototype member, as the whitelist's own
 * message; else null. No request class declares such a field, but class-transformer drops it before
 * `forbidNonWhitelisted` runs, so it would pass silently. The `opaque` top-level fields (`context`, `metadata`) are
 * the client's JSON and are not looked into.
 */
export function prototypeNamedFieldProblem(input: unknown, opaque: ReadonlySet<string>): string | null {
  const stack: [unknown, string][] = [[input, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    const list = Array.isArray(value);
    for (const [key, inner] of Object.entries(value)) {
      if (!list && isPrototypeName(key)) return `${path}property ${key} should not exist`;
      if (path === '' && opaque.has(key)) continue;
      stack.push([inner, `${path}${key}.`]);
    }
  }
  return null;
}
