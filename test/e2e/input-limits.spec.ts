import { randomUUID } from 'node:crypto';
import { ContextSyncService } from '../../src/context-sync/context-sync.service';
import { BrainAI } from '../../src/brain/brain-ai.service';
import { MemoryService } from '../../src/memory/memory.service';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, BrainResponse, startBrain, TestBrain } from './brain-client';

/** Every key of Object.prototype, and a few names that trip object-copying code, at several depths. */
const PROTOTYPE_NAMES = [
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
  'prototype',
];
const tricky = (): Record<string, unknown> => {
  const level = Object.fromEntries(PROTOTYPE_NAMES.map((name, i) => [name, i % 2 ? name : { [name]: i }]));
  return {
    ...level,
    constructor: { prototype: { polluted: true }, name: 'x' },
    nested: { ...level, list: [level, { constructor: 'x' }, [{ toString: 1 }]] },
    plain: 'kept',
  };
};

/** `{"a":{"a":…{}…}}`: an object `levels` deep (the outer `{}` is level 1). */
const nested = (levels: number, inner = '{}'): string =>
  levels <= 1 ? inner : `{"a":${nested(levels - 1, inner)}}`;

/** A body whose `field` is nested so that the whole body is `levels` deep. */
const bodyWithDepth = (levels: number, fields: string, field: string): string =>
  `{${fields}${fields ? ',' : ''}"${field}":${nested(levels - 1)}}`;

const UNSAFE_TEXTS: Record<string, string> = { nul: 'a\u0000b', lone: 'x\ud800y', trailing: 'y\udc00' };

describe('input limits (e2e): JSON fidelity, depth, text, content types, path lengths', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('inputlimits', { agents: ['nova', 'dexter'] });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  const expectError = (response: BrainResponse, status: number, message?: RegExp) => {
    expect({ status: response.status, body: response.body }).toEqual({
      status,
      body: {
        statusCode: status,
        error: expect.any(String),
        message: message ? expect.stringMatching(message) : expect.any(String),
      },
    });
  };

  const pendingFor = async (agent: string) =>
    (await client.get(`/v1/agents/${agent}/messages?count=1000`, token[agent])).body.items as {
      id: string;
    }[];

  async function drain(agent: string): Promise<void> {
    const items = await pendingFor(agent);
    if (items.length)
      await client.post(`/v1/agents/${agent}/acks`, token[agent], { ids: items.map((m) => m.id) });
  }

  beforeEach(async () => {
    await drain('nova');
    await drain('dexter');
  });

  describe('opaque JSON round-trips exactly', () => {
    it('keeps keys named like Object.prototype members in a message payload: answer, lookup, pending', async () => {
      const context = tricky();
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context });
      expect(sent.status).toBe(201);
      expect(sent.body.payload).toEqual(context);
      const read = await client.get(`/v1/messages/${sent.body.id}`, token.dexter);
      expect(read.body.payload).toEqual(context);
      const pending = await pendingFor('dexter');
      expect(pending).toEqual([expect.objectContaining({ id: sent.body.id, payload: context })]);

      const broadcast = await client.post('/v1/broadcasts', token.nova, { context });
      expect(broadcast.status).toBe(201);
      expect(broadcast.body.payload).toEqual(context);
    });

    it('keeps them in a memory context and in agent metadata', async () => {
      const context = tricky();
      const stored = await client.post('/v1/agents/nova/memories', token.nova, { context, type: 'odd' });
      expect(stored.status).toBe(201);
      expect(stored.body.context).toEqual(context);
      const listed = await client.get('/v1/agents/nova/memories?type=odd', token.nova);
      expect(listed.body.items.map((m: { context: unknown }) => m.context)).toEqual([context]);

      const metadata = tricky();
      const registered = await client.post('/v1/agents', ADMIN_TOKEN, { id: 'proto-keys', metadata });
      expect(registered.status).toBe(201);
      expect(registered.body.metadata).toEqual(metadata);
      expect((await client.get('/v1/agents/proto-keys', ADMIN_TOKEN)).body.metadata).toEqual(metadata);
    });

    it.each([
      ['a message payload', '/v1/messages', '"targetAgent":"dexter","context":', ''],
      ['a nested payload key', '/v1/messages', '"targetAgent":"dexter","context":{"a":[{"b":', '}]}'],
      ['a memory context', '/v1/agents/nova/memories', '"context":', ''],
      ['agent metadata', '/v1/agents', '"id":"proto-agent","metadata":', ''],
      ['the body itself', '/v1/messages', '"targetAgent":"dexter","context":{},"x":', ''],
    ])('refuses __proto__ in %s with 400, writing nothing', async (_what, path, before, after) => {
      const rawBody = `{${before}{"__proto__":{"admin":true},"k":1}${after}}`;
      const response = await client.request('POST', path, { token: token.nova, rawBody });
      expectError(response, 400, /__proto__/);
      const admin = await client.request('POST', path, { token: ADMIN_TOKEN, rawBody });
      expectError(admin, 400, /__proto__/);
      expect(await pendingFor('dexter')).toEqual([]);
      expect((await client.get('/v1/agents/proto-agent', ADMIN_TOKEN)).status).toBe(404);
    });
  });

  describe('NUL and lone surrogates in opaque JSON survive Postgres', () => {
    /** Postgres jsonb can hold none of these; "x\u0000" and "x\ud800" are two keys, not one. */
    const unstorable = (): Record<string, unknown> => ({
      plain: 'kept',
      'x\u0000': 'nul key',
      'x\ud800': 'lone surrogate key',
      lone: 'a\ud800b',
      nul: 'a\u0000b',
      nested: { list: ['\udc00', { 'k\u0000': 'z\udbff' }, 1], pair: '😀' },
    });
    /** JSON texts, compared exactly (toEqual would not tell a lost key from a kept one in every case). */
    const json = (value: unknown): string => JSON.stringify(value);
    const itemWith = (page: { items: { id: string; context: unknown }[] }, id: string) =>
      json(page.items.find((item) => item.id === id)?.context);
    const archived = () =>
      waitFor(async () => (await client.get('/v1/stats', ADMIN_TOKEN)).body.archiveLag === 0, 'the archive');

    it('keeps them in a message payload: history, conversation, in-process, and by id once trimmed from Redis', async () => {
      const context = unstorable();
      expect(json(context)).toMatch(/\\u0000.*\\ud800/);
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context });
      expect(sent.status).toBe(201);
      expect(json(sent.body.payload)).toBe(json(context));
      const id: string = sent.body.id;
      expect((await client.post(`/v1/messages/${id}/ack`, token.dexter, {})).status).toBe(200);
      await archived();

      for (const [agent, path] of [
        ['nova', '/v1/agents/nova/history'],
        ['dexter', '/v1/agents/dexter/history'],
        ['nova', '/v1/conversations/nova/dexter'],
        ['dexter', '/v1/conversations/dexter/nova'],
      ]) {
        const page = await client.get(path, token[agent]);
        expect({ path, status: page.status, context: itemWith(page.body, id) }).toEqual({
          path,
          status: 200,
          context: json(context),
        });
      }
      const inProcess = await brain.app.get(BrainAI).getAgentHistory('dexter', 100);
      expect(json(inProcess.find((record) => record.id === id)?.context)).toBe(json(context));

      // Trimmed from Redis (everything archived is older than the retention "now"), it is read from Postgres.
      const sync = brain.app.get(ContextSyncService);
      const later = Date.now() + brain.environment.config.messages.retentionMs + 60_000;
      expect(await sync.cleanupOldMessages(later)).toBeGreaterThan(0);
      expect((await sync.getStats()).streamsByAgent.dexter ?? 0).toBe(0);
      const byId = await client.get(`/v1/messages/${id}`, token.nova);
      expect(byId.status).toBe(200);
      expect(byId.body.status.acknowledgedBy).toEqual(['dexter']);
      expect(json(byId.body.payload)).toBe(json(context));
    });

    it('keeps them in a memory context: the 201, lists (cached or not), search, history, in-process', async () => {
      const context = { ...unstorable(), topic: 'fidelity' };
      const stored = await client.post('/v1/agents/nova/memories', token.nova, {
        context,
        type: 'unstorable',
        tags: ['odd-json'],
      });
      expect(stored.status).toBe(201);
      expect(json(stored.body.context)).toBe(json(context));
      const id: string = stored.body.id;
      for (const [agent, path] of [
        ['nova', '/v1/agents/nova/memories?type=unstorable'],
        ['nova', '/v1/agents/nova/memories?type=unstorable'],
        ['dexter', '/v1/agents/nova/memories?tags=odd-json'],
        ['dexter', '/v1/agents/nova/memories?q=fidelity'],
        ['nova', '/v1/agents/nova/history'],
      ]) {
        const page = await client.get(path, token[agent]);
        expect({ path, status: page.status, context: itemWith(page.body, id) }).toEqual({
          path,
          status: 200,
          context: json(context),
        });
      }
      const recalled = await brain.app.get(BrainAI).queryContext('nova', { agentId: 'nova' }, { limit: 10 });
      expect(itemWith(recalled, id)).toBe(json(context));
      const inProcess = await brain.app.get(MemoryService).storeMemory('nova', { context });
      expect(json(inProcess.context)).toBe(json(context));
    });
  });

  describe('an unknown field named like an Object.prototype member is still unknown', () => {
    // class-transformer drops such keys before the whitelist check runs, so they used to pass silently.
    const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'prototype'];
    type Caller = 'nova' | 'dexter' | 'admin';
    const BODY_ROUTES: [string, Caller, (id: string) => string, string][] = [
      ['/v1/messages', 'nova', () => '/v1/messages', '"targetAgent":"dexter","context":{},'],
      [
        '/v1/messages (in routing)',
        'nova',
        () => '/v1/messages',
        '"context":{},"routing":{"capability":"x",',
      ],
      ['/v1/broadcasts', 'nova', () => '/v1/broadcasts', '"context":{},'],
      ['/v1/agents', 'admin', () => '/v1/agents', '"id":"proto-field",'],
      ['/v1/agents/{id}/memories', 'nova', () => '/v1/agents/nova/memories', '"context":{},'],
      ['/v1/messages/{id}/ack', 'dexter', (id) => `/v1/messages/${id}/ack`, ''],
      ['/v1/messages/{id}/nack', 'dexter', (id) => `/v1/messages/${id}/nack`, '"requeue":false,'],
      [
        '/v1/messages/{id}/lease',
        'dexter',
        (id) => `/v1/messages/${id}/lease`,
        '"consumer":"w","extendMs":5,',
      ],
      ['/v1/agents/{id}/acks', 'dexter', () => '/v1/agents/dexter/acks', '"ids":["{id}"],'],
    ];

    it.each(BODY_ROUTES.flatMap(([what, ...rest]) => NAMES.map((name) => [what, name, ...rest] as const)))(
      'refuses it in the body of %s (%s) with 400, changing nothing',
      async (_what, name, caller, path, fields) => {
        const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
        const close = fields.endsWith('{"capability":"x",') ? '}}' : '}';
        const rawBody = `{${fields.replace('{id}', sent.body.id)}"${name}":1${close}`;
        const response = await client.request('POST', path(sent.body.id), {
          token: caller === 'admin' ? ADMIN_TOKEN : token[caller],
          rawBody,
        });
        expectError(response, 400, new RegExp(`${name} should not exist`));
        expect((await pendingFor('dexter')).map((m) => m.id)).toEqual([sent.body.id]);
        expect((await client.get('/v1/agents/proto-field', ADMIN_TOKEN)).status).toBe(404);
      },
    );

    it.each(NAMES)('refuses ?%s=1 on every route that takes a query, with 400', async (name) => {
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      const routes: [string, string][] = [
        ['/v1/agents', token.dexter],
        ['/v1/agents/dexter/messages', token.dexter],
        ['/v1/agents/dexter/dead-letters', token.dexter],
        ['/v1/agents/dexter/memories', token.dexter],
        ['/v1/agents/dexter/history', token.dexter],
        ['/v1/conversations/nova/dexter', token.dexter],
        ['/v1/insights', token.dexter],
        ['/v1/agents/dexter/events', token.dexter],
      ];
      for (const [path, caller] of routes) {
        const response = await client.get(`${path}?${name}=1`, caller);
        expectError(response, 400, new RegExp(`${name} should not exist`));
      }
      expect((await pendingFor('dexter')).map((m) => m.id)).toEqual([sent.body.id]);
    });
  });

  describe('JSON depth', () => {
    const BODY_ROUTES: [string, string, string][] = [
      ['POST', '/v1/agents', '"id":"deep-agent","metadata"'],
      ['POST', '/v1/messages', '"targetAgent":"dexter","context"'],
      ['POST', '/v1/broadcasts', '"context"'],
      ['POST', '/v1/agents/nova/memories', '"context"'],
      ['POST', '/v1/agents/nova/acks', '"ids"'],
      ['POST', `/v1/messages/${randomUUID()}/ack`, '"agentId"'],
      ['POST', '/v1/agents/nova/token', '"x"'],
      ['POST', `/v1/agents/nova/dead-letters/${randomUUID()}/requeue`, '"x"'],
    ];

    it.each(BODY_ROUTES)('%s %s: 65 or 3,000 levels → 400, never a 500', async (method, path, field) => {
      const [fields, name] = [field.split(',').slice(0, -1).join(','), JSON.parse(field.split(',').pop()!)];
      for (const levels of [65, 3000]) {
        const rawBody = bodyWithDepth(levels, fields, name as string);
        expect(JSON.parse(rawBody)).toBeDefined();
        const response = await client.request(method, path, { token: ADMIN_TOKEN, rawBody });
        expectError(response, 400, /64 levels/);
      }
      const deepArray = `{${fields}${fields ? ',' : ''}"${name}":${'['.repeat(5000)}${']'.repeat(5000)}}`;
      expectError(
        await client.request(method, path, { token: ADMIN_TOKEN, rawBody: deepArray }),
        400,
        /64 levels/,
      );
      expect(await pendingFor('dexter')).toEqual([]);
      expect((await client.get('/v1/agents/deep-agent', ADMIN_TOKEN)).status).toBe(404);
    });

    it('accepts a body exactly 64 levels deep', async () => {
      const rawBody = bodyWithDepth(64, '"targetAgent":"dexter"', 'context');
      const response = await client.request('POST', '/v1/messages', { token: token.nova, rawBody });
      expect(response.status).toBe(201);
      expect(response.body.payload).toEqual(JSON.parse(rawBody).context);
    });
  });

  describe('text without NUL or unpaired surrogates', () => {
    const agentCases: [string, Record<string, unknown>][] = [];
    for (const [kind, text] of Object.entries(UNSAFE_TEXTS)) {
      agentCases.push(
        [`name (${kind})`, { name: text }],
        [`description (${kind})`, { description: text }],
        [`capabilities (${kind})`, { capabilities: ['ok', text] }],
        [`a metadata value (${kind})`, { metadata: { team: { list: ['ok', text] } } }],
        [`a metadata key (${kind})`, { metadata: { nested: { [text]: 1 } } }],
      );
    }

    it.each(agentCases)(
      'refuses an agent whose %s has one, with 400, registering nothing',
      async (_what, extra) => {
        const response = await client.post('/v1/agents', ADMIN_TOKEN, { id: 'unsafe-text', ...extra });
        expectError(response, 400, /NUL|surrogate/);
        expect((await client.get('/v1/agents/unsafe-text', ADMIN_TOKEN)).status).toBe(404);
      },
    );

    it.each(Object.entries(UNSAFE_TEXTS))(
      'refuses a type or tag with %s text, storing nothing',
      async (_kind, text) => {
        expectError(
          await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {}, type: text }),
          400,
          /^type .*(NUL|surrogate)/,
        );
        expectError(
          await client.post('/v1/broadcasts', token.nova, { context: {}, type: text }),
          400,
          /^type /,
        );
        expect(await pendingFor('dexter')).toEqual([]);
        expectError(
          await client.post('/v1/agents/dexter/memories', token.dexter, { context: {}, type: text }),
          400,
          /^type /,
        );
        expectError(
          await client.post('/v1/agents/dexter/memories', token.dexter, { context: {}, tags: ['ok', text] }),
          400,
          /^tags /,
        );
        expect((await client.get('/v1/agents/dexter/memories', token.dexter)).body.items).toEqual([]);
        // A query string can carry a NUL (%00), not a lone surrogate (its UTF-8 bytes decode to U+FFFD).
        if (text.includes('\u0000')) {
          for (const name of ['type', 'q', 'tags']) {
            expectError(
              await client.get(`/v1/agents/dexter/memories?${name}=a%00b`, token.dexter),
              400,
              /NUL/,
            );
          }
        }
      },
    );
  });

  describe('path parameters over their length', () => {
    it.each([
      ['GET', '/v1/agents/{id}', 'id', 300],
      ['GET', '/v1/agents/{id}/messages', 'id', 5000],
      ['GET', '/v1/messages/{messageId}', 'messageId', 300],
      ['POST', '/v1/messages/{messageId}/ack', 'messageId', 201],
      ['GET', '/v1/conversations/nova/{b}', 'b', 250],
      ['DELETE', '/v1/agents/{id}', 'id', 1000],
    ])('%s %s with %s of %i characters → 400 naming it', async (method, route, parameter, length) => {
      const path = route.replace(`{${parameter}}`, 'f'.repeat(length));
      const response = await client.request(method, path, { token: ADMIN_TOKEN });
      expectError(response, 400, new RegExp(`^${parameter} `));
    });
  });

  it('answers a path that is not valid percent-encoding with 400 in the contract shape', async () => {
    expectError(await client.get('/v1/agents/%E0%A4%A', ADMIN_TOKEN), 400, /^path is not valid/);
  });

  describe('content types', () => {
    it.each([
      ['form-encoded', 'application/x-www-form-urlencoded', 'id=form-agent'],
      ['plain text', 'text/plain', '{"id":"form-agent"}'],
      [
        'multipart',
        'multipart/form-data; boundary=x',
        '--x\r\ncontent-disposition: form-data; name="id"\r\n\r\nform-agent\r\n--x--',
      ],
      ['xml', 'application/xml', '<id>form-agent</id>'],
    ])(
      'refuses a %s body with 415 naming application/json, registering nothing',
      async (_what, type, rawBody) => {
        const response = await client.request('POST', '/v1/agents', {
          token: ADMIN_TOKEN,
          rawBody,
          headers: { 'content-type': type },
        });
        expectError(response, 415, /application\/json/);
        expect((await client.get('/v1/agents/form-agent', ADMIN_TOKEN)).status).toBe(404);
      },
    );

    it('refuses a body without a content type with 415', async () => {
      // fetch adds text/plain to a string body; a Blob without a type sends none.
      const response = await fetch(`${client.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.nova}` },
        body: new Blob([JSON.stringify({ targetAgent: 'dexter', context: {} })]),
      });
      expect(response.status).toBe(415);
      expect(await response.json()).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: expect.stringMatching(/application\/json/),
      });
      expect(await pendingFor('dexter')).toEqual([]);
    });

    it('takes a POST without body and content type as an empty body', async () => {
      const rotated = await client.request('POST', '/v1/agents/dexter/token', { token: ADMIN_TOKEN });
      expect(rotated.status).toBe(200);
      token.dexter = rotated.body.token;
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      expect(
        (await client.request('POST', `/v1/messages/${sent.body.id}/ack`, { token: token.dexter })).status,
      ).toBe(200);
      expectError(await client.request('POST', '/v1/agents', { token: ADMIN_TOKEN }), 400, /^id /);
      expectError(await client.request('POST', '/v1/messages', { token: token.nova }), 400);
    });

    it('refuses a body that is not UTF-8 with 400, whatever charset it names, instead of storing U+FFFD', async () => {
      const latin1 = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));
      for (const type of ['application/json', 'application/json; charset=iso-8859-1']) {
        for (const [path, body, bearer] of [
          ['/v1/agents', '{"id":"latin-agent","name":"café"}', ADMIN_TOKEN],
          ['/v1/messages', '{"targetAgent":"dexter","context":{"k":"café"}}', token.nova],
          ['/v1/agents/dexter/memories', '{"context":{"café":1}}', token.dexter],
        ] as const) {
          const response = await fetch(`${client.url}${path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${bearer}`, 'content-type': type },
            body: latin1(body),
          });
          expect({ path, type, status: response.status, body: await response.json() }).toEqual({
            path,
            type,
            status: 400,
            body: { statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/UTF-8/) },
          });
        }
      }
      expect((await client.get('/v1/agents/latin-agent', ADMIN_TOKEN)).status).toBe(404);
      expect(await pendingFor('dexter')).toEqual([]);
      expect((await client.get('/v1/agents/dexter/memories', token.dexter)).body.items).toEqual([]);
    });

    it('accepts application/json with a charset', async () => {
      const response = await client.request('POST', '/v1/messages', {
        token: token.nova,
        body: { targetAgent: 'dexter', context: { ok: true } },
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      expect(response.status).toBe(201);
    });
  });

  describe('methods the contract does not list', () => {
    it('answers HEAD with 404 and runs no GET behind it: a HEAD lease, poll or stream takes nothing', async () => {
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      const head = (path: string) =>
        fetch(`${client.url}${path}`, {
          method: 'HEAD',
          headers: { authorization: `Bearer ${token.dexter}` },
          signal: AbortSignal.timeout(5000),
        });
      for (const path of [
        '/v1/agents/dexter/messages?consumer=w1',
        '/v1/agents/dexter/messages?wait=3000',
        '/v1/agents/dexter/events?consumer=w1',
        '/v1/agents',
      ]) {
        expect({ path, status: (await head(path)).status }).toEqual({ path, status: 404 });
      }
      // The message was leased to no one: another consumer gets it, first delivery.
      const leased = await client.get('/v1/agents/dexter/messages?consumer=w2', token.dexter);
      expect(leased.body.items).toEqual([expect.objectContaining({ id: sent.body.id, deliveryCount: 1 })]);
    });
  });

  describe('an empty type is no type', () => {
    it('answers, stores and reads back null for type "" (messages and memories, REST and in-process)', async () => {
      const sent = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: {},
        type: '',
      });
      expect(sent.status).toBe(201);
      expect(sent.body.type).toBeNull();
      expect((await client.get(`/v1/messages/${sent.body.id}`, token.dexter)).body.type).toBeNull();
      expect((await pendingFor('dexter')).map((m) => (m as { type?: unknown }).type)).toEqual([null]);
      const broadcast = await client.post('/v1/broadcasts', token.nova, { context: {}, type: '' });
      expect(broadcast.body.type).toBeNull();

      const memory = await client.post('/v1/agents/dexter/memories', token.dexter, {
        context: { m: 1 },
        type: '',
      });
      expect(memory.status).toBe(201);
      expect(memory.body.type).toBeNull();
      const all = await client.get('/v1/agents/dexter/memories?type=', token.dexter);
      expect(all.status).toBe(200);
      expect(all.body.items.map((m: { id: string; type: unknown }) => [m.id, m.type])).toContainEqual([
        memory.body.id,
        null,
      ]);

      const shared = await brain.app.get(ContextSyncService).publishMessage({
        sourceAgent: 'nova',
        targetAgent: 'dexter',
        context: {},
        type: '',
      });
      expect(shared.message.type).toBeNull();
      const remembered = await brain.app.get(MemoryService).storeMemory('dexter', { context: {}, type: '' });
      expect(remembered.type).toBeNull();
    });
  });
});
