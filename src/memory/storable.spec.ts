import { storableJson, storableText } from './storable';

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

  it('passes clean JSON through as JSON.stringify writes it', () => {
    const value = {
      revenue: 150000,
      tags: ['q4', 'emea'],
      at: new Date('2025-11-13T14:00:00.000Z'),
      ok: true,
    };
    expect(storableJson(value)).toBe(JSON.stringify(value));
  });

  it('cleans values and keys at any depth, in objects and arrays', () => {
    const stored = JSON.parse(
      storableJson({ 'k\0': ['ok', { deep: 'bad\uDBFF' }], n: 1, nothing: null }),
    ) as unknown;
    expect(stored).toEqual({ 'k\uFFFD': ['ok', { deep: 'bad\uFFFD' }], n: 1, nothing: null });
  });

  it('leaves no escape Postgres refuses in the JSON text', () => {
    const json = storableJson({ text: 'a\0b\uD800' });
    expect(json).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it('applies toJSON before cleaning, so a date inside a dirty value survives as its ISO text', () => {
    const stored = JSON.parse(storableJson({ at: new Date(0), text: '\0' })) as unknown;
    expect(stored).toEqual({ at: '1970-01-01T00:00:00.000Z', text: '\uFFFD' });
  });

  it('does not touch text that merely spells an escape', () => {
    expect(JSON.parse(storableJson({ text: '\\u0000 is NUL' }))).toEqual({ text: '\\u0000 is NUL' });
  });
});
