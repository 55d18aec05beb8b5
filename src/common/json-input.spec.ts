import {
  isJsonObject,
  isSafeText,
  jsonBodyProblem,
  MAX_JSON_DEPTH,
  prototypeNamedFieldProblem,
  unsafeTextProblem,
} from './json-input';

/** An object nested `levels` deep, the root being level 1, built without recursion. */
const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { inner: value };
  return value;
};

describe('JSON input rules', () => {
  it('tells safe text from NUL and unpaired surrogates', () => {
    expect(isSafeText('plain, accents é, emoji 📈')).toBe(true);
    expect(isSafeText('a\0b')).toBe(false);
    expect(isSafeText('\uD800')).toBe(false);
    expect(isSafeText('\uDC00x')).toBe(false);
    expect(isSafeText('\uDC00\uD800')).toBe(false);
  });

  it('calls only plain objects JSON objects', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject('{}')).toBe(false);
  });

  describe('jsonBodyProblem', () => {
    it('accepts a body exactly MAX_JSON_DEPTH deep, and bodies that are no objects', () => {
      expect(jsonBodyProblem(nested(MAX_JSON_DEPTH))).toBeNull();
      expect(jsonBodyProblem('text')).toBeNull();
      expect(jsonBodyProblem(null)).toBeNull();
    });

    it('refuses one level deeper, arrays counting as levels too', () => {
      expect(jsonBodyProblem(nested(MAX_JSON_DEPTH + 1))).toBe(
        `body must not be nested deeper than ${MAX_JSON_DEPTH} levels`,
      );
      expect(jsonBodyProblem({ list: [nested(MAX_JSON_DEPTH - 1)] })).toMatch(/nested deeper/);
    });

    it('walks a body far deeper than the call stack allows without overflowing', () => {
      expect(jsonBodyProblem(nested(200_000))).toMatch(/nested deeper/);
    });

    it("refuses a '__proto__' key at any depth, as JSON.parse leaves it", () => {
      expect(jsonBodyProblem(JSON.parse('{"a":{"b":[{"__proto__":{"admin":true}}]}}'))).toBe(
        "body must not contain the key '__proto__'",
      );
      expect(jsonBodyProblem({ proto: 1, constructor: 2 })).toBeNull();
    });
  });

  describe('unsafeTextProblem', () => {
    it('accepts clean JSON', () => {
      expect(unsafeTextProblem({ a: ['x', { b: 'y' }], n: 1, z: null }, 'payload')).toBeNull();
    });

    it('names the path of the first unsafe string', () => {
      expect(unsafeTextProblem({ rows: [{ note: 'ok' }, { note: 'a\0' }] }, 'payload')).toBe(
        'payload.rows[1].note must not contain NUL or unpaired surrogate characters',
      );
      expect(unsafeTextProblem('\uD800', 'type')).toBe(
        'type must not contain NUL or unpaired surrogate characters',
      );
    });

    it('names the object whose key is unsafe', () => {
      expect(unsafeTextProblem({ meta: { 'k\0': 1 } }, 'payload')).toBe(
        'the keys of payload.meta must not contain NUL or unpaired surrogate characters',
      );
    });
  });

  describe('prototypeNamedFieldProblem', () => {
    const none = new Set<string>();
    it('names a request field called like an Object.prototype member, at any depth outside opaque fields', () => {
      expect(prototypeNamedFieldProblem({ a: 1, constructor: 1 }, none)).toBe(
        'property constructor should not exist',
      );
      expect(prototypeNamedFieldProblem({ routing: { capability: 'x', toString: 1 } }, none)).toBe(
        'routing.property toString should not exist',
      );
      expect(prototypeNamedFieldProblem({ prototype: 'x' }, none)).toBe(
        'property prototype should not exist',
      );
      expect(prototypeNamedFieldProblem(JSON.parse('{"__proto__":1}'), none)).toBe(
        'property __proto__ should not exist',
      );
    });

    it('leaves opaque fields, array indexes and ordinary names alone', () => {
      const opaque = new Set(['context']);
      expect(
        prototypeNamedFieldProblem({ context: { constructor: { valueOf: 1 } }, tags: ['a'] }, opaque),
      ).toBeNull();
      expect(prototypeNamedFieldProblem({ ids: ['x', 'y'], name: 'n' }, none)).toBeNull();
      expect(prototypeNamedFieldProblem('text', none)).toBeNull();
    });
  });
});
