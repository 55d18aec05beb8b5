/**
 * Invalid (and a few borderline) requests on the hot routes, each with the exact 400 Brain answers today (test/e2e/validation-messages
 * pins them, so that a faster validation path cannot change a word of any answer, nor which problem comes first).
 * `as`: the caller. `{id}` in a path is replaced by a fresh UUID.
 */
export interface InvalidRequest {
  method: 'GET' | 'POST';
  path: string;
  as: 'nova' | 'admin';
  /** JSON text sent as the body (POST). */
  raw?: string;
}

const uuid = '6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10';
const json = (value: unknown): string => JSON.stringify(value);
const deep = (levels: number): string => (levels <= 1 ? '{}' : `{"a":${deep(levels - 1)}}`);

const publishBodies: string[] = [
  '{}',
  '[]',
  '"x"',
  '42',
  'null',
  '{"targetAgent":"dexter"',
  json({ targetAgent: 'dexter' }),
  json({ targetAgent: 'dexter', context: [] }),
  json({ targetAgent: 'dexter', context: 'x' }),
  json({ targetAgent: 'dexter', context: null }),
  json({ targetAgent: 'dexter', context: 1 }),
  json({ targetAgent: 1, context: {} }),
  json({ targetAgent: '', context: {} }),
  json({ targetAgent: 'UPPER', context: {} }),
  json({ targetAgent: 'broadcast', context: {} }),
  json({ targetAgent: 'a'.repeat(65), context: {} }),
  json({ targetAgent: null, context: {} }),
  json({ context: {} }),
  json({ targetAgent: 'dexter', routing: { capability: 'x' }, context: {} }),
  json({ targetAgent: 'dexter', context: {}, type: 1 }),
  json({ targetAgent: 'dexter', context: {}, type: 'x'.repeat(65) }),
  json({ targetAgent: 'dexter', context: {}, type: 'a\u0000b' }),
  json({ targetAgent: 'dexter', context: {}, type: 'x\ud800y' }),
  json({ targetAgent: 'dexter', context: {}, type: ['x'] }),
  json({ targetAgent: 'dexter', context: {}, priority: 'urgent' }),
  json({ targetAgent: 'dexter', context: {}, priority: 'HIGH' }),
  json({ targetAgent: 'dexter', context: {}, priority: 1 }),
  json({ targetAgent: 'dexter', context: {}, priority: null }),
  json({ targetAgent: 'dexter', context: {}, id: 'not-a-uuid' }),
  json({ targetAgent: 'dexter', context: {}, id: 1 }),
  json({ targetAgent: 'dexter', context: {}, id: `${uuid}0` }),
  json({ targetAgent: 'dexter', context: {}, inReplyTo: 'x' }),
  json({ targetAgent: 'dexter', context: {}, ttlSeconds: 0 }),
  json({ targetAgent: 'dexter', context: {}, ttlSeconds: 1.5 }),
  json({ targetAgent: 'dexter', context: {}, ttlSeconds: '10' }),
  json({ targetAgent: 'dexter', context: {}, delayMs: -1 }),
  json({ targetAgent: 'dexter', context: {}, delayMs: 86_400_001 }),
  json({ targetAgent: 'dexter', context: {}, delayMs: 'x' }),
  json({ targetAgent: 'dexter', context: {}, delayMs: 1.5 }),
  json({ targetAgent: 'dexter', context: {}, ttlSeconds: 'x' }),
  json({ targetAgent: 'dexter', context: {}, sourceAgent: 'x y' }),
  json({ targetAgent: 'dexter', context: {}, sourceAgent: 'dexter' }),
  json({ context: {}, routing: 'x' }),
  json({ context: {}, routing: [] }),
  json({ context: {}, routing: null }),
  json({ targetAgent: 'dexter', context: {}, routing: null }),
  json({ context: {}, routing: {} }),
  json({ context: {}, routing: { capability: '' } }),
  json({ context: {}, routing: { capability: 1 } }),
  json({ context: {}, routing: { capability: 'c'.repeat(65) } }),
  json({ context: {}, routing: { capability: 'a\u0000' } }),
  json({ context: {}, routing: { capability: 'x', extra: 1 } }),
  json({ context: {}, routing: { capability: 'x', extra: 1, more: 2 } }),
  json({ targetAgent: 'dexter', context: {}, foo: 1 }),
  json({ targetAgent: 'dexter', context: {}, foo: 1, bar: 2 }),
  '{"targetAgent":"dexter","context":{},"constructor":1}',
  '{"targetAgent":"dexter","context":{},"toString":"x"}',
  '{"targetAgent":"dexter","context":{},"prototype":{}}',
  '{"targetAgent":"dexter","context":{},"__proto__":{}}',
  '{"targetAgent":"dexter","context":{"__proto__":{}}}',
  '{"targetAgent":"dexter","context":{},"routing":{"constructor":1}}',
  `{"targetAgent":"dexter","context":${deep(64)}}`,
  json({ targetAgent: 1, context: 'x', priority: 'bad', foo: 1 }),
  json({ foo: 1, targetAgent: 1, context: 'x' }),
  json({ priority: 'bad', type: 1, context: 'x', targetAgent: 'X', id: 'y' }),
  json({ ttlSeconds: 0, inReplyTo: 'x', delayMs: -1, context: {}, targetAgent: 'dexter' }),
  json({ targetAgent: 'dexter', context: {}, type: 1, priority: 'bad', routing: 'x' }),
];

const broadcastBodies: string[] = [
  '{}',
  '[]',
  json({ context: [] }),
  json({ context: {}, targetAgent: 'dexter' }),
  json({ context: {}, routing: { capability: 'x' } }),
  json({ context: {}, priority: 'urgent' }),
  json({ context: {}, type: 'x'.repeat(65) }),
  json({ context: {}, id: 'x' }),
  json({ context: {}, sourceAgent: 'dexter' }),
  json({ context: 'x', priority: 'bad', foo: 1 }),
  '{"context":{},"valueOf":1}',
  `{"context":${deep(65)}}`,
];

const pendingQueries: string[] = [
  'count=0',
  'count=1001',
  'count=abc',
  'count=1.5',
  'count=',
  'count=0x10',
  'count=1e3',
  'count=%207',
  'count=-1',
  'count=1&count=2',
  'wait=-1',
  'wait=30001',
  'wait=x',
  'consumer=bad%20space',
  `consumer=${'c'.repeat(65)}`,
  'consumer=',
  'consumer=a&consumer=b',
  'priority=urgent',
  'priority=',
  'foo=1',
  'constructor=1',
  'hasOwnProperty=x',
  'count=0&wait=-1&priority=x&foo=1',
  'priority=x&count=0',
  'wait=1&consumer=%00',
];

const historyQueries: string[] = [
  'limit=0',
  'limit=1001',
  'limit=x',
  'cursor=bad!',
  `cursor=${'c'.repeat(201)}`,
  'cursor=',
  'foo=1',
  'toString=1',
  'limit=0&cursor=!&foo=1',
];

const ackBodies: string[] = [
  '[]',
  '"x"',
  'null',
  '42',
  json({ agentId: 1 }),
  json({ agentId: 'BAD' }),
  json({ agentId: 'broadcast' }),
  json({ foo: 1 }),
  '{"constructor":1}',
  json({ agentId: 'x y', foo: 1 }),
];

const acksBodies: string[] = [
  '{}',
  '[]',
  json({ ids: [] }),
  json({ ids: 'x' }),
  json({ ids: ['x'] }),
  json({ ids: [1] }),
  json({ ids: [uuid, 'x'] }),
  json({ ids: [null] }),
  json({ ids: Array.from({ length: 1001 }, () => uuid) }),
  json({ ids: [uuid], foo: 1 }),
  '"x"',
  json({ ids: {} }),
  '{"ids":["' + uuid + '"],"__defineGetter__":1}',
];

const leaseBodies: string[] = [
  '{}',
  '[]',
  json({ consumer: 'w' }),
  json({ extendMs: 5 }),
  json({ consumer: 'w', extendMs: 0 }),
  json({ consumer: 'w', extendMs: 1.5 }),
  json({ consumer: 'w', extendMs: 'x' }),
  json({ consumer: 'w', extendMs: 3_600_001 }),
  json({ consumer: 'bad space', extendMs: 5 }),
  json({ consumer: 'w', extendMs: 5, agentId: 'X' }),
];

const nackBodies: string[] = [
  '"x"',
  json({ requeue: 'x' }),
  json({ delayMs: -1 }),
  json({ delayMs: 3_600_001 }),
  json({ delayMs: 'x' }),
  json({ delayMs: 1.5 }),
  json({ reason: 1 }),
  json({ reason: 'r'.repeat(1001) }),
  json({ reason: 'a\u0000' }),
  json({ consumer: '' }),
  json({ foo: 1 }),
];

export const INVALID_REQUESTS: InvalidRequest[] = [
  ...publishBodies.map((raw): InvalidRequest => ({ method: 'POST', path: '/v1/messages', as: 'nova', raw })),
  ...publishBodies
    .slice(0, 12)
    .map((raw): InvalidRequest => ({ method: 'POST', path: '/v1/messages', as: 'admin', raw })),
  ...broadcastBodies.map((raw): InvalidRequest => ({
    method: 'POST',
    path: '/v1/broadcasts',
    as: 'nova',
    raw,
  })),
  ...pendingQueries.map((query): InvalidRequest => ({
    method: 'GET',
    path: `/v1/agents/nova/messages?${query}`,
    as: 'nova',
  })),
  { method: 'GET', path: '/v1/agents/NOVA/messages', as: 'nova' },
  { method: 'GET', path: '/v1/agents/nova/messages?count=0', as: 'admin' },
  ...historyQueries.map((query): InvalidRequest => ({
    method: 'GET',
    path: `/v1/agents/nova/history?${query}`,
    as: 'nova',
  })),
  ...ackBodies.map((raw): InvalidRequest => ({
    method: 'POST',
    path: '/v1/messages/{id}/ack',
    as: 'nova',
    raw,
  })),
  { method: 'POST', path: '/v1/messages/not-a-uuid/ack', as: 'nova', raw: '{}' },
  { method: 'POST', path: '/v1/messages/not-a-uuid/ack', as: 'nova', raw: json({ agentId: 1 }) },
  ...acksBodies.map((raw): InvalidRequest => ({
    method: 'POST',
    path: '/v1/agents/nova/acks',
    as: 'nova',
    raw,
  })),
  { method: 'POST', path: '/v1/agents/No!/acks', as: 'nova', raw: json({ ids: [] }) },
  ...leaseBodies.map((raw): InvalidRequest => ({
    method: 'POST',
    path: '/v1/messages/{id}/lease',
    as: 'nova',
    raw,
  })),
  ...nackBodies.map((raw): InvalidRequest => ({
    method: 'POST',
    path: '/v1/messages/{id}/nack',
    as: 'nova',
    raw,
  })),
];

/** A short unique name for a request (bodies over 100 characters are shortened, their length kept). */
export const label = ({ method, path, as, raw }: InvalidRequest): string => {
  const body =
    raw === undefined ? '' : raw.length > 100 ? ` ${raw.slice(0, 60)}… (${raw.length} chars)` : ` ${raw}`;
  return `${as}: ${method} ${path}${body}`;
};
