import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { BrainConfig } from '../../src/config/brain.config';
import { scanKeys } from './test-environment';

/**
 * Seeded generators of malformed requests across every route of the API: each request is invalid in exactly one
 * way (a bad path id, a too long one, a bad or missing body field, text with NUL or a lone surrogate, an unknown
 * field, a bad root body, a body over the size limit or nested deeper than 64 levels, a `__proto__` key, a body that
 * is not JSON, a bad query). Valid parts carry keys named like Object.prototype members (`constructor`, ...): those
 * are valid JSON data. Shared by the e2e fuzz (test/e2e/malformed.spec.ts) and the reliability one (test/reliability/).
 */
/** mulberry32: a tiny seeded PRNG, so a failing request can be reproduced from the seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HUGE = 'x'.repeat(100_000);
/** Text Brain refuses in ids, names, types and tags: NUL, and UTF-16 surrogates without their other half. */
const UNSAFE_TEXTS = ['nul\u0000', '\u0000', 'lone\ud800', '\udc00trail', 'x\ud83d'];
/** Valid opaque JSON whose keys are named like Object.prototype members (ValidationPipe once dropped them). */
const PROTOTYPE_KEYS = { constructor: 'x', toString: { valueOf: 1, hasOwnProperty: [{ prototype: true }] } };
const BAD_AGENT_IDS = [
  '*',
  '{x}',
  'a:b',
  'a'.repeat(65),
  'Nova',
  '-x',
  '_x',
  'broadcast',
  'a b',
  'ü',
  'a/b',
  '%',
  'a\u0000b',
  HUGE.slice(0, 150),
  // Past Fastify's old maxParamLength (200) as path ids
  'a'.repeat(201),
  'b'.repeat(3000),
];
const BAD_AGENT_ID_VALUES: unknown[] = [
  ...BAD_AGENT_IDS,
  ...UNSAFE_TEXTS,
  '',
  42,
  true,
  [],
  {},
  ['nova'],
  HUGE,
];
const BAD_UUIDS = [
  'not-a-uuid',
  '123',
  '6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a1',
  '{x}',
  'g'.repeat(36),
  '*',
  'a:b',
  `${randomUUID()}0`,
  `${randomUUID()}\u0000`,
  'f'.repeat(500),
];
const BAD_UUID_VALUES: unknown[] = [...BAD_UUIDS, ...UNSAFE_TEXTS, '', 42, [], {}, true, HUGE];
const WRONG_TYPES: unknown[] = [42, -1, 1.5, true, false, [], [1, 'a'], { a: 1 }, 'text', HUGE];
const NOT_OBJECTS: unknown[] = ['text', 42, true, [], [1, 2], null, HUGE];
const BAD_STRINGS_64: unknown[] = [42, true, [], {}, 'x'.repeat(65), HUGE, ...UNSAFE_TEXTS];
const BAD_PRIORITIES: unknown[] = ['urgent', 'HIGH', '', 0, [], {}, true, HUGE];
const BAD_TAGS: unknown[] = [
  'q3',
  [1],
  [[]],
  Array.from({ length: 33 }, (_, i) => `t${i}`),
  ['a,b'],
  [''],
  ['x'.repeat(65)],
  {},
  7,
  ...UNSAFE_TEXTS.map((text) => ['ok', text]),
];
const BAD_INTS_QUERY = ['abc', '-1', '1.5', '1e9', '', '0x10', '99999999999999999999', '%00', '[]'];
const BAD_ROOT_BODIES = [
  '[]',
  '"str"',
  '42',
  'true',
  '{',
  '{"a":}',
  '[{"id":"x"}]',
  '{"__proto__":{"admin":true}}',
  '{"a":1,"__proto__":null}',
];
/** Deeper than the 64 levels a body may have; the deepest once overflowed the stack in validation (500). */
const DEPTHS = [65, 100, 3000, 20_000];
/** Bodies that are not JSON: the valid body in another Content-Type (a form body once registered an agent). */
const NOT_JSON_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json-patch+json',
  'text/json',
];

export interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path with `{id}`, `{b}`, `{messageId}` placeholders. */
  path: string;
  /** A valid body, mutated into an invalid one. */
  body?: Record<string, unknown>;
  /** Invalid values per body field (each alone makes the request invalid). */
  badFields?: Record<string, unknown[]>;
  required?: string[];
  /** Invalid query strings (each alone makes the request invalid). */
  badQueries?: string[];
  /** Whether the body may be mutated at all (routes without body DTO and without placeholders may not). */
  bodyOnly?: boolean;
  /** Invalid header sets (each alone makes the request invalid), e.g. a wrong confirmation or content type. */
  badHeaders?: Record<string, string>[];
  /** The body's opaque JSON field (`context`, `metadata`), where a `__proto__` or deep value can hide. */
  opaque?: string;
}

/** The routes of the API and how each can be malformed (the e2e fuzz draws from exactly these). */
export const ENDPOINTS: Endpoint[] = [
  {
    method: 'POST',
    path: '/v1/agents',
    body: {
      id: 'fresh-agent',
      name: 'Fresh',
      description: 'd',
      capabilities: ['a'],
      metadata: { k: 1, ...PROTOTYPE_KEYS },
    },
    badFields: {
      id: BAD_AGENT_ID_VALUES,
      name: [42, [], {}, true, 'x'.repeat(129), ...UNSAFE_TEXTS],
      description: [42, [], 'x'.repeat(1025), ...UNSAFE_TEXTS],
      capabilities: [
        'x',
        [1],
        [[]],
        Array.from({ length: 65 }, () => 'a'),
        ['x'.repeat(65)],
        {},
        5,
        ...UNSAFE_TEXTS.map((text) => ['ok', text]),
      ],
      metadata: [
        'text',
        42,
        true,
        [],
        [1],
        ...UNSAFE_TEXTS.flatMap((text) => [{ team: { list: ['ok', text] } }, { [text]: 1 }]),
      ],
    },
    required: ['id'],
    opaque: 'metadata',
  },
  { method: 'GET', path: '/v1/agents/{id}' },
  { method: 'DELETE', path: '/v1/agents/{id}' },
  { method: 'POST', path: '/v1/agents/{id}/token', body: {} },
  {
    method: 'POST',
    path: '/v1/messages',
    body: {
      targetAgent: 'dexter',
      context: { a: 1, ...PROTOTYPE_KEYS },
      priority: 'high',
      type: 't',
      id: 'NEW_ID',
      sourceAgent: 'nova',
    },
    opaque: 'context',
    badFields: {
      targetAgent: BAD_AGENT_ID_VALUES,
      context: NOT_OBJECTS,
      priority: BAD_PRIORITIES,
      type: BAD_STRINGS_64,
      id: BAD_UUID_VALUES,
      sourceAgent: BAD_AGENT_ID_VALUES,
    },
    required: ['targetAgent', 'context'],
  },
  {
    method: 'POST',
    path: '/v1/broadcasts',
    body: {
      context: { a: 1, ...PROTOTYPE_KEYS },
      priority: 'low',
      type: 't',
      id: 'NEW_ID',
      sourceAgent: 'nova',
    },
    opaque: 'context',
    badFields: {
      context: NOT_OBJECTS,
      priority: BAD_PRIORITIES,
      type: BAD_STRINGS_64,
      id: BAD_UUID_VALUES,
      sourceAgent: BAD_AGENT_ID_VALUES,
    },
    required: ['context'],
  },
  {
    method: 'GET',
    path: '/v1/agents/{id}/messages',
    badQueries: [
      ...BAD_INTS_QUERY.map((v) => `count=${v}`),
      'count=0',
      'count=1001',
      'wait=-1',
      'wait=30001',
      ...BAD_INTS_QUERY.map((v) => `wait=${v}`),
      'consumer=a%20b',
      `consumer=${'c'.repeat(65)}`,
      'consumer=%2A%7B%7D',
      'priority=urgent',
      'priority=',
      'colour=red',
      'count=1&count=2',
    ],
  },
  {
    method: 'POST',
    path: '/v1/messages/{messageId}/ack',
    body: {},
    badFields: { agentId: BAD_AGENT_ID_VALUES },
  },
  {
    method: 'POST',
    path: '/v1/agents/{id}/acks',
    body: { ids: ['EXISTING_ID'] },
    badFields: {
      ids: [[], 'x', [1], ['nope'], {}, Array.from({ length: 1001 }, () => randomUUID()), [null], HUGE],
    },
    required: ['ids'],
  },
  { method: 'GET', path: '/v1/messages/{messageId}' },
  {
    method: 'GET',
    path: '/v1/agents/{id}/dead-letters',
    badQueries: ['limit=0', 'limit=1001', ...BAD_INTS_QUERY.map((v) => `limit=${v}`), 'order=desc'],
  },
  { method: 'POST', path: '/v1/agents/{id}/dead-letters/{messageId}/requeue', body: {} },
  {
    method: 'POST',
    path: '/v1/agents/{id}/memories',
    body: {
      context: { a: 1, ...PROTOTYPE_KEYS },
      type: 't',
      tags: ['x'],
      visibility: 'private',
      ttlSeconds: 60,
    },
    opaque: 'context',
    badFields: {
      context: NOT_OBJECTS,
      type: BAD_STRINGS_64,
      tags: BAD_TAGS,
      visibility: ['public', 1, [], '', HUGE],
      ttlSeconds: [0, -1, 1.5, 'soon', [], {}, true, 1e12],
    },
    required: ['context'],
  },
  {
    method: 'GET',
    path: '/v1/agents/{id}/memories',
    badQueries: [
      'limit=0',
      'limit=1001',
      ...BAD_INTS_QUERY.map((v) => `limit=${v}`),
      'since=yesterday',
      'until=2025-13-01',
      'since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z',
      'cursor=***',
      'cursor=abc',
      `type=${'t'.repeat(65)}`,
      'tags=a,,b',
      `tags=${Array.from({ length: 33 }, (_, i) => `t${i}`).join(',')}`,
      `q=${'q'.repeat(257)}`,
      'q=a%00b',
      'type=%00',
      'tags=a,b%00',
      'sort=asc',
    ],
  },
  {
    method: 'GET',
    path: '/v1/agents/{id}/history',
    badQueries: [
      'limit=0',
      'limit=1001',
      ...BAD_INTS_QUERY.map((v) => `limit=${v}`),
      'cursor=%2A',
      'kind=message',
    ],
  },
  {
    method: 'GET',
    path: '/v1/conversations/{id}/{b}',
    badQueries: ['limit=0', 'limit=1001', ...BAD_INTS_QUERY.map((v) => `limit=${v}`), 'cursor=!!', 'x=1'],
  },
  {
    method: 'GET',
    path: '/v1/insights',
    badQueries: [
      'since=soon',
      'until=2025-99-99',
      'since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z',
      'top=5',
    ],
  },
  { method: 'GET', path: '/v1/stats', badQueries: [] },
];

export interface Malformed {
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  token: string;
}

/** Builds one request that is invalid in exactly the way drawn: a bad path id, a bad field, a bad query, ... */
export function malformed(
  random: () => number,
  ids: { existing: string },
  tokens: string[],
  endpoints: Endpoint[] = ENDPOINTS,
): Malformed {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const endpoint = pick(endpoints);
  const token = pick(tokens);
  const fill = (path: string, badSlot?: string) =>
    path
      .replace('{id}', badSlot === '{id}' ? encodeURIComponent(pick(BAD_AGENT_IDS)) : 'nova')
      .replace('{b}', badSlot === '{b}' ? encodeURIComponent(pick(BAD_AGENT_IDS)) : 'dexter')
      .replace('{messageId}', badSlot === '{messageId}' ? encodeURIComponent(pick(BAD_UUIDS)) : ids.existing);
  const validBody = () =>
    endpoint.body === undefined
      ? undefined
      : JSON.parse(
          JSON.stringify(endpoint.body)
            .replace('"NEW_ID"', JSON.stringify(randomUUID()))
            .replace('"EXISTING_ID"', JSON.stringify(ids.existing)),
        );

  const slots = ['{id}', '{b}', '{messageId}'].filter((slot) => endpoint.path.includes(slot));
  const kinds: string[] = [...slots.map(() => 'path')];
  if (endpoint.badFields) kinds.push('field', 'field', 'field');
  if (endpoint.required) kinds.push('missing');
  if (endpoint.body !== undefined) kinds.push('unknown', 'root', 'huge', 'deep', 'proto', 'media');
  if (endpoint.badQueries?.length) kinds.push('query', 'query');
  if (endpoint.badHeaders?.length) kinds.push('header');
  if (endpoint.method === 'GET' && endpoint.badQueries === undefined && slots.length === 0)
    kinds.push('path');
  const kind = kinds.length ? pick(kinds) : 'path';

  const request: Malformed = { method: endpoint.method, path: fill(endpoint.path), token, body: validBody() };
  switch (kind) {
    case 'path':
      request.path = fill(endpoint.path, slots.length ? pick(slots) : undefined);
      if (!slots.length) request.path += `/${encodeURIComponent(pick(BAD_AGENT_IDS))}`;
      break;
    case 'field': {
      const field = pick(Object.keys(endpoint.badFields!));
      request.body = { ...(request.body as object), [field]: pick(endpoint.badFields![field]) };
      break;
    }
    case 'missing': {
      const body = { ...(request.body as Record<string, unknown>) };
      delete body[pick(endpoint.required!)];
      request.body = body;
      break;
    }
    case 'unknown':
      request.body = {
        ...(request.body as object),
        [pick(['x', 'admin', 'toAgent', 'fromAgent', 'extra', 'Id'])]: pick(WRONG_TYPES),
      };
      break;
    case 'root':
      request.rawBody = pick(BAD_ROOT_BODIES);
      break;
    case 'deep': {
      const depth = pick(DEPTHS);
      const deep =
        random() < 0.5
          ? `${'['.repeat(depth)}${']'.repeat(depth)}`
          : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      request.rawBody = withMember(request.body, endpoint.opaque, 'deep', deep);
      break;
    }
    case 'proto':
      request.rawBody = withMember(
        request.body,
        random() < 0.7 ? endpoint.opaque : undefined,
        '__proto__',
        pick(['{"admin":true}', '{"constructor":{"prototype":{"x":1}}}', 'null', '[]']),
      );
      break;
    case 'media': {
      const type = pick(NOT_JSON_TYPES);
      request.headers = { 'content-type': type };
      request.rawBody = notJson(type, request.body as Record<string, unknown>);
      break;
    }
    case 'huge':
      // Over BRAIN_MAX_PAYLOAD_BYTES: 413 before anything is parsed.
      request.body = { ...(request.body as object), padding: 'p'.repeat(300_000) };
      break;
    case 'header':
      request.headers = pick(endpoint.badHeaders!);
      break;
    case 'query':
      request.path += `?${pick(endpoint.badQueries!)}`;
      break;
  }
  return request;
}

/**
 * The body as JSON text with one more member `"name": raw` (raw is JSON text, sent as is): inside the opaque field
 * when there is one, else at the root.
 */
function withMember(body: unknown, opaque: string | undefined, name: string, raw: string): string {
  const text = JSON.stringify(body);
  const member = `${JSON.stringify(name)}:${raw}`;
  const at = opaque ? text.indexOf(`${JSON.stringify(opaque)}:{`) : -1;
  if (at >= 0) {
    const inside = at + JSON.stringify(opaque).length + 2;
    return `${text.slice(0, inside)}${member},${text.slice(inside)}`;
  }
  return `${text.slice(0, -1)}${text === '{}' ? '' : ','}${member}}`;
}

/** A body holding the same fields in a format that is not JSON (what a form or a careless client sends). */
function notJson(type: string, body: Record<string, unknown>): string {
  const fields = Object.entries(body).map(([key, value]): [string, string] => [
    key,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]);
  if (type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams(fields).toString();
  if (type.startsWith('multipart/form-data')) {
    const parts = fields.map(
      ([key, value]) => `--x\r\ncontent-disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`,
    );
    return `${parts.join('')}--x--\r\n`;
  }
  if (type === 'application/xml')
    return `<body>${fields.map(([key, value]) => `<${key}>${value}</${key}>`).join('')}</body>`;
  return JSON.stringify(body);
}

/**
 * What a rejected request must not change: every Redis key of the suite's prefix (rate-limit counters aside, they
 * count rejected requests too) and the rows of every table, with the agents' token hashes (nothing rotated).
 */
export async function storedState(config: BrainConfig, database: Client): Promise<unknown> {
  const keys = (await scanKeys(config, `${config.redis.prefix}:*`))
    .filter((key) => !key.includes(':ratelimit:'))
    .sort();
  const rows: Record<string, number> = {};
  for (const table of ['agents', 'messages', 'message_acks', 'memories']) {
    rows[table] = Number((await database.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  }
  const tokens = (await database.query('SELECT id, token_hash FROM agents ORDER BY id')).rows;
  return { keys, rows, tokens };
}

/** Sends one generated request as is (raw body, odd headers), with a timeout: a hang is a failure too. */
export async function sendMalformed(
  url: string,
  request: Malformed,
  timeoutMs = 10000,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${request.token}` };
  const payload = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, request.headers);
  const response = await fetch(`${url}${request.path}`, {
    method: request.method,
    headers,
    body: payload,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status: response.status, body: text };
  }
}

/** One line naming a generated request, short enough for a failure message. */
export function describeMalformed(request: Malformed): string {
  const sent = (request.rawBody ?? JSON.stringify(request.body))?.slice(0, 200);
  const headers = request.headers ? ` ${JSON.stringify(request.headers)}` : '';
  return `${request.method} ${request.path.slice(0, 120)}${headers} ${sent ?? ''}`;
}
