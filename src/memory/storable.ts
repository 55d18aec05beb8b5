import { UNSAFE_TEXT_CHAR } from '../common/json-input';

/**
 * Postgres refuses NUL characters in text and jsonb, and lone UTF-16 surrogates in jsonb, while JSON (and so an
 * agent's payload) allows both. One such string would fail a whole archive batch on every retry, so they are
 * stored as U+FFFD instead. The common case costs one regex test over the JSON text.
 */
const UNSTORABLE_JSON_ESCAPE = /\\u0000|\\ud[89a-f]/i;
const UNSTORABLE_CHAR = new RegExp(UNSAFE_TEXT_CHAR.source, 'g');

export function storableText(text: string): string {
  return text.replace(UNSTORABLE_CHAR, '\uFFFD');
}

/** The JSON text to bind to a jsonb parameter. */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  // Cleaned from the parsed JSON, so that toJSON (dates...) has applied and only plain data remains.
  return UNSTORABLE_JSON_ESCAPE.test(json) ? JSON.stringify(cleaned(JSON.parse(json))) : json;
}

function cleaned(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(cleaned);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [storableText(key), cleaned(inner)]),
    );
  }
  return value;
}
