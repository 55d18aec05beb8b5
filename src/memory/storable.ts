import { UNSAFE_TEXT_CHAR } from '../common/json-input';

/**
 * Postgres refuses NUL characters in text and jsonb, and lone UTF-16 surrogates in jsonb, while JSON (and so an
 * agent's payload) allows both. A column of such text (a type, a tag) stores them as U+FFFD (REST refuses them
 * there anyway). An opaque JSON value (payload, context) must round-trip exactly, so it is stored twice when it
 * holds one: cleaned in its jsonb column (what search and filters read), and as its exact JSON text in a text column
 * beside it (where they are plain ASCII escapes, `\u0000`, `\ud800`), which every read returns instead. The common
 * case costs one regex test over the JSON text.
 */
const UNSTORABLE_JSON_ESCAPE = /\\u0000|\\ud[89a-f]/i;
const UNSTORABLE_CHAR = new RegExp(UNSAFE_TEXT_CHAR.source, 'g');

export function storableText(text: string): string {
  return text.replace(UNSTORABLE_CHAR, '\uFFFD');
}

/** The parameters of one opaque JSON value: `json` for its jsonb column, `exact` for its text column (or null). */
export interface StorableJson {
  json: string;
  /** The exact JSON text, when jsonb cannot hold the value; null when `json` is exact. */
  exact: string | null;
}

export function storableJson(value: unknown): StorableJson {
  const json = JSON.stringify(value);
  if (!UNSTORABLE_JSON_ESCAPE.test(json)) return { json, exact: null };
  // Cleaned from the parsed JSON, so that toJSON (dates...) has applied and only plain data remains.
  const clean = JSON.stringify(cleaned(JSON.parse(json)));
  // Text that merely spells an escape ("\\u0000") matches the test but needs no cleaning.
  return clean === json ? { json, exact: null } : { json: clean, exact: json };
}

/** An opaque JSON value as stored: its exact text when there is one, else what jsonb gave back. */
export function storedJson<T>(jsonb: T | null, exact: string | null): T {
  return exact === null ? (jsonb as T) : (JSON.parse(exact) as T);
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
