import { storableJson, storableText, storedJson } from './storable';

describe('storable text and JSON (what Postgres accepts)', () => {
  it('leaves ordinary text alone, including paired surrogates (emoji)', () => {
    expect(storableText('sales: 150000 € 📈')).toBe('sales: 150000 € 📈');
  });

  it('replaces NUL and unpaired surrogates with U+FFFD', () => {
    expect(storableText('a\0b')).toBe('a\uFFFDb');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('x\uDC00')).toBe('x\uFFFD');
    expect(storableText('\uD83D\uDCC8\uD83D')).toBe('📈\uFFFD');
  });

  it('passes clean JSON through as JSON.stringify writes it, with no exact text', () => {
    const value = {
      revenue: 150000,
      tags: ['q4', 'emea'],
      at: new Date('2025-11-13T14:00:00.000Z'),
      ok: true,
    };
    expect(storableJson(value)).toEqual({ json: JSON.stringify(value), exact: null });
  });

  it('cleans values and keys at any depth for jsonb, and keeps the exact JSON text beside', () => {
    const value = { 'k\0': ['ok', { deep: 'bad\uDBFF' }], 'k\uD800': 2, n: 1, nothing: null };
    const stored = storableJson(value);
    expect(JSON.parse(stored.json)).toEqual({ 'k\uFFFD': 2, n: 1, nothing: null });
    expect(stored.exact).toBe(JSON.stringify(value));
    expect(storedJson(JSON.parse(stored.json), stored.exact)).toEqual(value);
  });

  it('leaves no escape Postgres refuses in the jsonb text; the exact text is plain ASCII', () => {
    const { json, exact } = storableJson({ text: 'a\0b\uD800' });
    expect(json).not.toMatch(/\\u0000|\\ud[89a-f]/i);
    expect(exact).toBe('{"text":"a\\u0000b\\ud800"}');
  });

  it('applies toJSON before cleaning, so a date inside a dirty value survives as its ISO text', () => {
    const stored = storableJson({ at: new Date(0), text: '\0' });
    expect(JSON.parse(stored.json)).toEqual({ at: '1970-01-01T00:00:00.000Z', text: '\uFFFD' });
    expect(JSON.parse(stored.exact!)).toEqual({ at: '1970-01-01T00:00:00.000Z', text: '\0' });
  });

  it('does not touch text that merely spells an escape, nor keep an exact text for it', () => {
    expect(storableJson({ text: '\\u0000 is NUL' })).toEqual({
      json: '{"text":"\\\\u0000 is NUL"}',
      exact: null,
    });
  });

  it('reads the exact text when there is one, else the jsonb value', () => {
    expect(storedJson({ a: '\uFFFD' }, '{"a":"\\u0000"}')).toEqual({ a: '\0' });
    expect(storedJson({ a: 1 }, null)).toEqual({ a: 1 });
  });
});
