import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('memory API (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('memories', { agents: ['nova', 'dexter', 'kai'] });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  describe('POST /v1/agents/{id}/memories', () => {
    it('stores a record: 201 MemoryRecord', async () => {
      const response = await client.post('/v1/agents/nova/memories', token.nova, {
        context: { region: 'EMEA', revenue: 1250000 },
        type: 'sales_data',
        tags: ['q3', 'emea'],
        visibility: 'shared',
        ttlSeconds: 3600,
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        agentId: 'nova',
        kind: 'context',
        type: 'sales_data',
        context: { region: 'EMEA', revenue: 1250000 },
        tags: ['q3', 'emea'],
        visibility: 'shared',
        createdAt: expect.stringMatching(ISO),
        expiresAt: expect.stringMatching(ISO),
      });
    });

    it('defaults to shared, no type, no tags, no expiry', async () => {
      const response = await client.post('/v1/agents/dexter/memories', token.dexter, { context: { a: 1 } });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ type: null, tags: [], visibility: 'shared', expiresAt: null });
    });

    it('is for that agent only (403); the admin stores for a registered agent (404 otherwise)', async () => {
      expect((await client.post('/v1/agents/nova/memories', token.kai, { context: {} })).status).toBe(403);
      expect(
        (await client.post('/v1/agents/kai/memories', ADMIN_TOKEN, { context: { by: 'admin' } })).status,
      ).toBe(201);
      expect((await client.post('/v1/agents/zed/memories', ADMIN_TOKEN, { context: {} })).status).toBe(404);
    });

    it.each([
      [{}, 'context must be a JSON object'],
      [{ context: [] }, 'context must be a JSON object'],
      [{ context: {}, visibility: 'public' }, 'visibility must be one of shared, private'],
      [{ context: {}, tags: 'q3' }, 'tags must be a list of at most 32'],
      [
        { context: {}, tags: Array.from({ length: 33 }, (_, i) => `t${i}`) },
        'tags must be a list of at most 32',
      ],
      [{ context: {}, tags: ['a,b'] }, 'without commas'],
      [{ context: {}, tags: ['x'.repeat(65)] }, 'tags must be a list'],
      [{ context: {}, tags: [''] }, 'tags must be a list'],
      [{ context: {}, type: 7 }, 'type must be a string of at most 64'],
      [{ context: {}, ttlSeconds: 0 }, 'ttlSeconds must be an integer'],
      [{ context: {}, ttlSeconds: 'soon' }, 'ttlSeconds must be an integer'],
      [{ context: {}, owner: 'kai' }, 'property owner should not exist'],
    ])('answers 400 for %j', async (body, message) => {
      const response = await client.post('/v1/agents/nova/memories', token.nova, body);
      expect(response.status).toBe(400);
      expect(response.body.message).toContain(message);
    });
  });

  describe('GET /v1/agents/{id}/memories', () => {
    beforeAll(async () => {
      await client.post('/v1/agents/kai/memories', token.kai, {
        context: { note: 'public revenue forecast' },
        type: 'forecast',
        tags: ['q4', 'emea'],
      });
      await client.post('/v1/agents/kai/memories', token.kai, {
        context: { note: 'secret plan' },
        type: 'plan',
        tags: ['q4'],
        visibility: 'private',
      });
    });

    it('shows the owner everything, newest first; others only shared records', async () => {
      const own = await client.get('/v1/agents/kai/memories', token.kai);
      expect(own.status).toBe(200);
      const types = own.body.items.map((record: { type: string }) => record.type);
      expect(types.slice(0, 2)).toEqual(['plan', 'forecast']);
      const other = await client.get('/v1/agents/kai/memories', token.nova);
      expect(other.body.items.map((record: { visibility: string }) => record.visibility)).not.toContain(
        'private',
      );
      const admin = await client.get('/v1/agents/kai/memories', ADMIN_TOKEN);
      expect(admin.body.items.length).toBe(own.body.items.length);
    });

    it('filters by type, tags (all must match), text, and pages with a cursor', async () => {
      const byType = await client.get('/v1/agents/kai/memories?type=forecast', token.kai);
      expect(byType.body.items).toHaveLength(1);
      const byTags = await client.get('/v1/agents/kai/memories?tags=q4,emea', token.kai);
      expect(byTags.body.items.map((record: { type: string }) => record.type)).toEqual(['forecast']);
      const byText = await client.get('/v1/agents/kai/memories?q=revenue', token.kai);
      expect(byText.body.items.map((record: { type: string }) => record.type)).toEqual(['forecast']);
      const first = await client.get('/v1/agents/kai/memories?limit=1', token.kai);
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await client.get(
        `/v1/agents/kai/memories?limit=1&cursor=${first.body.nextCursor as string}`,
        token.kai,
      );
      expect(second.status).toBe(200);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
      const future = await client.get('/v1/agents/kai/memories?since=2999-01-01T00:00:00Z', token.kai);
      expect(future.body).toEqual({ items: [], nextCursor: null });
    });

    it.each([
      ['limit=0', 'limit must be an integer between 1 and 1000'],
      ['limit=1001', 'limit must be an integer between 1 and 1000'],
      ['since=yesterday', 'since must be an ISO-8601 date-time'],
      ['until=2025-13-01', 'until must be an ISO-8601 date-time'],
      ['cursor=***', 'cursor is not valid'],
      ['cursor=abc', 'cursor is not valid'],
      [`type=${'t'.repeat(65)}`, 'type must be a string of at most 64'],
      ['tags=a,,b', 'tags must be a list'],
      ['since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z', 'since must be before until'],
      ['sort=asc', 'property sort should not exist'],
    ])('answers 400 for ?%s', async (query, message) => {
      const response = await client.get(`/v1/agents/kai/memories?${query}`, token.nova);
      expect(response.status).toBe(400);
      expect(response.body.message).toContain(message);
    });
  });

  describe('history, conversations and insights', () => {
    let messageId: string;

    beforeAll(async () => {
      const sent = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: { ask: 'numbers?' },
        type: 'question',
      });
      messageId = sent.body.id;
      await client.post('/v1/messages', token.dexter, { targetAgent: 'nova', context: { answer: 42 } });
      await client.post('/v1/messages', token.kai, { targetAgent: 'dexter', context: { unrelated: true } });
    });

    it('GET /v1/agents/{id}/history: its memories and its messages, newest first, within a second', async () => {
      const history = await waitFor(async () => {
        const response = await client.get('/v1/agents/nova/history', token.nova);
        const messages = response.body.items.filter((record: { kind: string }) => record.kind === 'message');
        return messages.length >= 2 ? response : undefined;
      }, 'messages in the history');
      expect(history.status).toBe(200);
      const sent = history.body.items.find(
        (record: { messageId?: string }) => record.messageId === messageId,
      );
      expect(sent).toMatchObject({
        kind: 'message',
        fromAgent: 'nova',
        toAgent: 'dexter',
        context: { ask: 'numbers?' },
        type: 'question',
      });
      const times = history.body.items.map((record: { createdAt: string }) => record.createdAt);
      expect([...times].sort().reverse()).toEqual(times);
      expect((await client.get('/v1/agents/nova/history', ADMIN_TOKEN)).status).toBe(200);
      expect((await client.get('/v1/agents/nova/history', token.kai)).status).toBe(403);
      expect((await client.get('/v1/agents/nova/history?limit=0', token.nova)).status).toBe(400);
      expect((await client.get('/v1/agents/nova/history?limit=1', token.nova)).body.nextCursor).toEqual(
        expect.any(String),
      );
    });

    it('GET /v1/conversations/{a}/{b}: both directions, only between a and b', async () => {
      const conversation = await waitFor(async () => {
        const response = await client.get('/v1/conversations/nova/dexter', token.dexter);
        return response.body.items.length >= 2 ? response : undefined;
      }, 'the conversation');
      expect(conversation.status).toBe(200);
      const pairs = conversation.body.items.map(
        (r: { fromAgent: string; toAgent: string }) => `${r.fromAgent}>${r.toAgent}`,
      );
      expect(pairs.sort()).toEqual(['dexter>nova', 'nova>dexter']);
      expect((await client.get('/v1/conversations/dexter/nova', token.nova)).body.items).toHaveLength(2);
      expect((await client.get('/v1/conversations/nova/dexter', ADMIN_TOKEN)).status).toBe(200);
      expect((await client.get('/v1/conversations/nova/dexter', token.kai)).status).toBe(403);
      expect((await client.get('/v1/conversations/nova/dexter?limit=1', token.nova)).body.items).toHaveLength(
        1,
      );
      expect((await client.get('/v1/conversations/nova/Dexter', token.nova)).status).toBe(400);
      expect((await client.get('/v1/conversations/nova/dexter?limit=5000', token.nova)).status).toBe(400);
    });

    it('GET /v1/insights: who talks to whom, all of it for the admin, its own part for an agent', async () => {
      const insights = await waitFor(async () => {
        const response = await client.get('/v1/insights', ADMIN_TOKEN);
        return response.body.pairs?.length >= 3 ? response : undefined;
      }, 'pairs in the insights');
      expect(insights.status).toBe(200);
      expect(insights.body).toEqual({
        since: expect.stringMatching(ISO),
        until: expect.stringMatching(ISO),
        agents: expect.any(Array),
        pairs: expect.arrayContaining([expect.objectContaining({ from: 'nova', to: 'dexter', count: 1 })]),
        topTypes: expect.arrayContaining([{ type: 'question', count: expect.any(Number) }]),
        topTags: expect.any(Array),
      });
      const nova = insights.body.agents.find((agent: { agentId: string }) => agent.agentId === 'nova');
      expect(nova).toMatchObject({ sent: 1, received: 1 });
      // Issue 11: an agent no party to nova ↔ dexter does not see that traffic.
      const asKai = await client.get('/v1/insights', token.kai);
      expect(asKai.status).toBe(200);
      expect(asKai.body.pairs).not.toContainEqual(expect.objectContaining({ from: 'nova', to: 'dexter' }));
      const window = await client.get(
        '/v1/insights?since=2999-01-01T00:00:00Z&until=2999-01-02T00:00:00Z',
        token.kai,
      );
      expect(window.body).toMatchObject({ since: '2999-01-01T00:00:00.000Z', pairs: [] });
      expect((await client.get('/v1/insights?since=soon', token.kai)).status).toBe(400);
    });
  });
});
