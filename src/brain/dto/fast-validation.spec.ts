import { ArgumentMetadata, HttpException } from '@nestjs/common';
import { EventsQuery } from '../events.controller';
import { AgentListQuery, RegisterAgentRequest } from './agent.dto';
import { BRAIN_VALIDATION, BrainValidationPipe } from './brain-validation.pipe';
import { fastAcceptFor } from './fast-validation';
import { InsightsRequest } from './insights.dto';
import { ExtendLeaseRequest } from './lease.dto';
import { MemoryQueryRequest, PageRequest, StoreMemoryRequest } from './memory.dto';
import {
  AcknowledgeManyRequest,
  AcknowledgeRequest,
  DeadLettersQuery,
  PendingQuery,
  SendBroadcastRequest,
  SendMessageRequest,
} from './message.dto';
import { NackRequest } from './nack.dto';
import { EmptyRequest } from './validation';
import { prng } from '../../../test/support/malformed-requests';
import { INVALID_REQUESTS } from '../../../test/support/validation-cases';

/**
 * The fast path may only ever accept what the full pipe accepts, with an equal instance (same classes, same
 * fields, same transformed values). Every request class of the API, with valid requests (which must take the fast
 * path) and thousands of mutations of them (seeded), is run through both.
 */
const ID = '6f1c3a9e-2b7d-4c1e-9f0a-5d2e8b7c4a10';
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);

type Kind = 'body' | 'query';
const CLASSES: [Kind, new () => object, unknown[]][] = [
  [
    'body',
    SendMessageRequest,
    [
      { targetAgent: 'dexter', context: { query: 'Q3' } },
      {
        targetAgent: 'dexter',
        context: { nested: { list: [1, 'a', { b: null }] } },
        type: 'sales_data',
        priority: 'high',
        id: ID.toUpperCase(),
        inReplyTo: ID,
        ttlSeconds: 60,
        delayMs: 0,
        sourceAgent: 'nova',
      },
      { routing: { capability: 'analysis' }, context: {} },
      { targetAgent: 'x', context: { constructor: { prototype: 1 }, toString: 'x', valueOf: [1] } },
      { targetAgent: 'dexter', context: { text: 'a\u0000b' }, type: null, priority: null },
    ],
  ],
  [
    'body',
    SendBroadcastRequest,
    [{ context: {} }, { context: { a: 1 }, priority: 'low', type: 'x', id: ID }],
  ],
  ['body', AcknowledgeRequest, [{}, undefined, { agentId: 'dexter' }]],
  ['body', AcknowledgeManyRequest, [{ ids: [ID, ID.toUpperCase()] }]],
  [
    'body',
    ExtendLeaseRequest,
    [
      { consumer: 'w1', extendMs: 1000 },
      { consumer: 'w', extendMs: 1, agentId: 'd' },
    ],
  ],
  [
    'body',
    NackRequest,
    [{}, { requeue: false, reason: 'r' }, { consumer: 'w', delayMs: 10, agentId: 'dexter' }],
  ],
  ['body', EmptyRequest, [{}, undefined]],
  [
    'body',
    RegisterAgentRequest,
    [
      { id: 'x' },
      { id: 'x', name: 'n', description: 'd', capabilities: ['a', 'b'], metadata: { team: { x: [1] } } },
    ],
  ],
  [
    'body',
    StoreMemoryRequest,
    [{ context: {} }, { context: { a: 1 }, type: 't', tags: ['a'], visibility: 'shared', ttlSeconds: 60 }],
  ],
  [
    'query',
    PendingQuery,
    [{}, { count: '10' }, { count: '5', wait: '1000', consumer: 'w1', priority: 'high' }],
  ],
  ['query', DeadLettersQuery, [{}, { limit: '10', cursor: 'abc' }]],
  ['query', PageRequest, [{ limit: '50' }, { cursor: 'abc' }]],
  [
    'query',
    MemoryQueryRequest,
    [{ tags: 'a, b', q: 'x', type: 't', since: '2025-11-13T00:00:00Z', limit: '1' }],
  ],
  ['query', InsightsRequest, [{ since: '2025-11-13T00:00:00Z', until: '2025-11-14T00:00:00.000Z' }]],
  ['query', AgentListQuery, [{}, { capability: 'analysis' }]],
  ['query', EventsQuery, [{ consumer: 'w', priority: 'low' }]],
];

const STRINGS = [
  ...['dexter', 'nova', '', 'UPPER', 'broadcast', ID, ID.toUpperCase(), `${ID}0`, 'x'.repeat(65), 'a\u0000b'],
  ...['x\ud800', 'y\udc00', 'high', 'low', 'urgent', 'w1', 'bad space', 'a,b', 'shared', 'private'],
  ...['2025-11-13T14:00:00Z', '2025-11-13', 'MTc2Mw', '10', '0', '-1', '1.5', '0x10', ' 7 ', '1e3', 'true'],
];
const BODY_VALUES: unknown[] = [
  ...STRINGS,
  ...[0, 1, -1, 1.5, 10, 1000, 1001, 30000, 86_400_000, 86_400_001, 3_600_000, 3_600_001, true, false, null],
  ...[[], [ID], [ID.toUpperCase()], ['x'], [1], ['a', 'b'], [null], [{}], [[1]], Array(1001).fill(ID)],
  ...[{}, { capability: 'analysis' }, { capability: '' }, { capability: 'x', extra: 1 }, { a: 1 }],
  ...[{ constructor: 1 }, { k: 'a\u0000' }, { 'a\u0000': 1 }, { capability: 1 }, { capability: 'x\ud800' }],
];
const QUERY_VALUES: unknown[] = [...STRINGS, ['1', '2'], ['a'], ['w1', 'w2']];
const EXTRA_KEYS = ['foo', 'constructor', 'toString', 'prototype', 'routing', 'targetAgent', 'context', 'id'];

/** A fresh copy, made in this realm (structuredClone's objects would come from Jest's outer one). */
const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/** Up to three changes to a valid request: a field set to some value (valid or not) or removed, an extra field. */
function mutate(random: () => number, valid: unknown, kind: Kind): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const value = { ...(valid as Record<string, unknown>) };
  const keys = [...Object.keys(value), ...EXTRA_KEYS];
  for (let changes = 1 + Math.floor(random() * 3); changes > 0; changes -= 1) {
    const key = pick(keys);
    if (random() < 0.2) delete value[key];
    else value[key] = clone(pick(kind === 'body' ? BODY_VALUES : QUERY_VALUES));
  }
  return value;
}

/** The parsed bodies of the pinned invalid requests, for every body class. */
const PINNED_BODIES = INVALID_REQUESTS.flatMap(({ raw }) => {
  try {
    return raw === undefined ? [] : [JSON.parse(raw) as unknown];
  } catch {
    return [];
  }
});

describe('BrainValidationPipe fast path', () => {
  const pipe = new BrainValidationPipe(BRAIN_VALIDATION);

  /** What the pipe answers: the instance, or the exception's status and body. */
  async function answer(run: () => Promise<unknown>): Promise<{ entity?: unknown; error?: unknown }> {
    try {
      return { entity: await run() };
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      return { error: [error.getStatus(), error.getResponse()] };
    }
  }

  it.each(CLASSES.map(([kind, metatype, valid]) => [metatype.name, kind, metatype, valid] as const))(
    '%s (%s): accepts only what the full pipe accepts, building an equal instance',
    async (_name, kind, metatype, valid) => {
      const metadata: ArgumentMetadata = { type: kind, metatype, data: undefined };
      const accept = fastAcceptFor(metatype, kind);
      expect(accept).not.toBeNull();
      const random = prng(SEED);
      const inputs = [
        ...valid,
        ...(kind === 'body' ? PINNED_BODIES : []),
        ...Array.from({ length: 1500 }, () =>
          mutate(random, valid[Math.floor(random() * valid.length)], kind),
        ),
      ];
      const differences: string[] = [];
      let fast = 0;
      for (const [index, input] of inputs.entries()) {
        // Fastify's query object has no prototype: both shapes are tried.
        const shapes = kind === 'query' ? [false, true] : [false];
        for (const bare of shapes) {
          const shape = () =>
            bare ? Object.assign(Object.create(null) as object, clone(input)) : clone(input);
          const accepted = accept!(shape());
          if (accepted !== undefined) fast += 1;
          if (index < valid.length && accepted === undefined)
            differences.push(`valid but not fast: ${JSON.stringify(input)}`);
          const full = await answer(() => pipe.validateFully(shape(), metadata));
          const piped = await answer(() => pipe.transform(shape(), metadata));
          if (!sameAnswer(piped, full) || (accepted !== undefined && !sameAnswer({ entity: accepted }, full)))
            differences.push(
              `${JSON.stringify(input)}: fast ${JSON.stringify(accepted)}, full ${JSON.stringify(full)}`,
            );
        }
      }
      expect(differences.slice(0, 5)).toEqual([]);
      // The mutations reach the accepting side too, not only the 400s.
      expect(fast).toBeGreaterThan(valid.length);
    },
  );

  it('gives no fast path to a pipe whose options it does not follow', async () => {
    const loose = new BrainValidationPipe({ ...BRAIN_VALIDATION, forbidNonWhitelisted: false });
    const metadata: ArgumentMetadata = { type: 'body', metatype: AcknowledgeRequest, data: undefined };
    // Without forbidNonWhitelisted an unknown field is stripped, not refused: the full pipe's own behaviour.
    expect(await loose.transform({ agentId: 'dexter', foo: 1 }, metadata)).toStrictEqual(
      Object.assign(new AcknowledgeRequest(), { agentId: 'dexter' }),
    );
  });
});

/**
 * Equal answers: at every depth the same prototype (so the same classes), the same own keys in the same order
 * (fields set to undefined included) and equal values. (toStrictEqual compares `.constructor`, which a JSON
 * object may hold as an ordinary key.)
 */
function sameAnswer(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const [keysA, keysB] = [Object.keys(a), Object.keys(b)];
  if (keysA.join('\u0001') !== keysB.join('\u0001')) return false;
  return keysA.every((key) =>
    sameAnswer((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
