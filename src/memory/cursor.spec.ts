import { InvalidRequestError } from '../common/errors';
import { decodeCursor, encodeCursor } from './cursor';

describe('page cursors', () => {
  const position = {
    createdAt: '2025-11-13T14:00:00.123Z',
    seq: '42',
    id: '8ab8a3aa-a900-433d-abcc-4d10b12ae564',
  };
  const raw = (text: string) => Buffer.from(text).toString('base64url');

  it('round-trips a position through an opaque, URL-safe cursor', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(position.id);
    expect(decodeCursor(cursor)).toEqual({
      createdAt: new Date(position.createdAt),
      seq: '42',
      id: position.id,
    });
  });

  it('keeps a bigint seq exact, up to the largest Postgres bigint', () => {
    const largest = { ...position, seq: '9223372036854775807' };
    expect(decodeCursor(encodeCursor(largest))?.seq).toBe('9223372036854775807');
  });

  it('means "first page" when there is no cursor', () => {
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('continues a cursor from before seq existed from the end of its millisecond', () => {
    expect(decodeCursor(raw(`${position.createdAt}|${position.id}`))).toEqual({
      createdAt: new Date(position.createdAt),
      seq: '9223372036854775807',
      id: position.id,
    });
  });

  it.each([
    ['an empty string', ''],
    ['characters outside base64url', 'abc+/='],
    ['a cursor longer than 200 characters', 'A'.repeat(201)],
    ['base64 of something else', raw('hello')],
    ['a seq beyond bigint', raw(`${position.createdAt}|9223372036854775808|${position.id}`)],
    ['a seq of 20 digits', raw(`${position.createdAt}|12345678901234567890|${position.id}`)],
    ['a negative seq', raw(`${position.createdAt}|-1|${position.id}`)],
    ['an impossible date', raw(`2025-13-45T14:00:00.000Z|1|${position.id}`)],
    ['a timestamp without milliseconds', raw(`2025-11-13T14:00:00Z|1|${position.id}`)],
    ['an uppercase id', raw(`${position.createdAt}|1|${position.id.toUpperCase()}`)],
    ['an id that is no uuid', raw(`${position.createdAt}|1|nova`)],
    ['trailing text', raw(`${position.createdAt}|1|${position.id}|more`)],
  ])('refuses %s with a 400 that says what to use instead', (_case, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidRequestError);
    expect(() => decodeCursor(cursor)).toThrow('use the nextCursor of the previous page');
  });
});
