import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ids = (response: { body: { items: { id: string }[] } }) => response.body.items.map((m) => m.id);

describe('messages API (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('messages', { agents: ['nova', 'dexter', 'kai'] });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  /** Acknowledges whatever is pending for the agent, so each test starts from an empty mailbox. */
  async function drain(agent: string): Promise<void> {
    const pending = await client.get(`/v1/agents/${agent}/messages?count=1000`, token[agent]);
    if (pending.body.items.length > 0) {
      await client.post(`/v1/agents/${agent}/acks`, token[agent], { ids: ids(pending) });
    }
  }

  beforeEach(async () => {
    for (const agent of ['nova', 'dexter', 'kai']) await drain(agent);
  });

  describe('POST /v1/messages', () => {
    it('answers 201 with the ContextMessage once it is stored', async () => {
      const response = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: { query: 'Q3 sales' },
        priority: 'high',
        type: 'sales_data',
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        fromAgent: 'nova',
        toAgent: 'dexter',
        timestamp: expect.stringMatching(ISO),
        payload: { query: 'Q3 sales' },
        priority: 'high',
        type: 'sales_data',
        deliveryCount: 0,
        deliverAt: null,
      });
      const pending = await client.get('/v1/agents/dexter/messages', token.dexter);
      expect(pending.body.items).toEqual([response.body]);
    });

    it('defaults priority to medium and type to null; accepts sourceAgent naming the caller', async () => {
      const response = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: {},
        sourceAgent: 'nova',
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ priority: 'medium', type: null, fromAgent: 'nova' });
    });

    it('replays a repeated id with 200 and the original message, creating nothing new', async () => {
      const id = randomUUID();
      const first = await client.post('/v1/messages', token.nova, {
        id,
        targetAgent: 'dexter',
        context: { n: 1 },
      });
      expect(first.status).toBe(201);
      const again = await client.post('/v1/messages', token.nova, {
        id,
        targetAgent: 'dexter',
        context: { n: 1 },
      });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      const upper = await client.post('/v1/messages', token.nova, {
        id: id.toUpperCase(),
        targetAgent: 'dexter',
        context: { n: 1 },
      });
      expect(upper.status).toBe(200);
      const pending = await client.get('/v1/agents/dexter/messages', token.dexter);
      expect(ids(pending)).toEqual([id]);
    });

    it('answers 404 for an unknown target', async () => {
      const response = await client.post('/v1/messages', token.nova, { targetAgent: 'zed', context: {} });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: "agent 'zed' is not registered",
      });
    });

    it('answers 403 when an agent speaks as another', async () => {
      const response = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: {},
        sourceAgent: 'kai',
      });
      expect(response.status).toBe(403);
      expect(response.body.message).toBe("agent 'nova' may not act as agent 'kai'");
      expect((await client.get('/v1/agents/dexter/messages', token.dexter)).body.items).toEqual([]);
    });

    it('lets the admin publish on behalf of an agent, which it must name', async () => {
      const missing = await client.post('/v1/messages', ADMIN_TOKEN, { targetAgent: 'dexter', context: {} });
      expect(missing.status).toBe(400);
      expect(missing.body.message).toBe('sourceAgent is required when the admin publishes');
      const named = await client.post('/v1/messages', ADMIN_TOKEN, {
        targetAgent: 'dexter',
        context: {},
        sourceAgent: 'kai',
      });
      expect(named.status).toBe(201);
      expect(named.body.fromAgent).toBe('kai');
      const unknownSender = await client.post('/v1/messages', ADMIN_TOKEN, {
        targetAgent: 'dexter',
        context: {},
        sourceAgent: 'ghost',
      });
      expect(unknownSender.status).toBe(404);
    });

    it.each([
      [{ context: {} }, 'targetAgent'],
      [{ targetAgent: 'dexter' }, 'context must be a JSON object'],
      [{ targetAgent: 'dexter', context: [1, 2] }, 'context must be a JSON object'],
      [{ targetAgent: 'dexter', context: 'text' }, 'context must be a JSON object'],
      [{ targetAgent: 'dexter', context: null }, 'context must be a JSON object'],
      [{ targetAgent: 'dexter', context: {}, priority: 'urgent' }, 'priority must be one of'],
      [{ targetAgent: 'dexter', context: {}, type: 'x'.repeat(65) }, 'type must be a string of at most 64'],
      [{ targetAgent: 'dexter', context: {}, id: 'not-a-uuid' }, 'id must be a UUID'],
      [{ targetAgent: 'broadcast', context: {} }, 'targetAgent must match'],
      [{ targetAgent: 'dexter', context: {}, extra: 1 }, 'property extra should not exist'],
    ])('answers 400 naming the field for %j', async (body, message) => {
      const response = await client.post('/v1/messages', token.nova, body);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('Bad Request');
      expect(response.body.message).toContain(message);
    });

    it('answers 413 in the contract shape for a body over BRAIN_MAX_PAYLOAD_BYTES', async () => {
      const response = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: { blob: 'x'.repeat(brain.environment.config.http.maxPayloadBytes) },
      });
      expect(response.status).toBe(413);
      expect(response.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: expect.stringMatching(/too large|larger than/i),
      });
      expect((await client.get('/v1/agents/dexter/messages', token.dexter)).body.items).toEqual([]);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const response = await client.request('POST', '/v1/messages', { token: token.nova, rawBody: '{"a":' });
      expect(response.status).toBe(400);
      expect(response.body.statusCode).toBe(400);
    });
  });

  describe('POST /v1/broadcasts', () => {
    it('reaches every other agent and not the sender; acknowledged per recipient', async () => {
      const response = await client.post('/v1/broadcasts', token.nova, {
        context: { all: true },
        priority: 'low',
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ fromAgent: 'nova', toAgent: 'broadcast', priority: 'low' });
      const id = response.body.id as string;
      expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([id]);
      expect(ids(await client.get('/v1/agents/kai/messages', token.kai))).toEqual([id]);
      expect(ids(await client.get('/v1/agents/nova/messages', token.nova))).toEqual([]);
      expect((await client.post(`/v1/messages/${id}/ack`, token.dexter, {})).status).toBe(200);
      expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([]);
      expect(ids(await client.get('/v1/agents/kai/messages', token.kai))).toEqual([id]);
      const status = await client.get(`/v1/messages/${id}`, token.nova);
      expect(status.body.status).toEqual({
        acknowledged: false,
        acknowledgedBy: ['dexter'],
        pendingFor: ['kai'],
        deadLetteredFor: [],
        expired: false,
      });
    });

    it('validates like a message and checks sourceAgent', async () => {
      expect((await client.post('/v1/broadcasts', token.nova, { context: 5 })).status).toBe(400);
      expect(
        (await client.post('/v1/broadcasts', token.nova, { context: {}, targetAgent: 'kai' })).status,
      ).toBe(400);
      expect(
        (await client.post('/v1/broadcasts', token.nova, { context: {}, sourceAgent: 'kai' })).status,
      ).toBe(403);
      expect((await client.post('/v1/broadcasts', ADMIN_TOKEN, { context: {} })).status).toBe(400);
      const replayId = randomUUID();
      expect((await client.post('/v1/broadcasts', token.kai, { id: replayId, context: {} })).status).toBe(
        201,
      );
      expect((await client.post('/v1/broadcasts', token.kai, { id: replayId, context: {} })).status).toBe(
        200,
      );
    });
  });

  describe('GET /v1/agents/{id}/messages', () => {
    it('returns critical, high, medium, low; oldest first within a priority; peek changes nothing', async () => {
      const sent: Record<string, string> = {};
      for (const [name, priority] of [
        ['low1', 'low'],
        ['med1', 'medium'],
        ['crit1', 'critical'],
        ['med2', 'medium'],
        ['high1', 'high'],
      ]) {
        const response = await client.post('/v1/messages', token.nova, {
          targetAgent: 'dexter',
          context: { name },
          priority,
        });
        sent[name] = response.body.id;
      }
      const order = ['crit1', 'high1', 'med1', 'med2', 'low1'].map((name) => sent[name]);
      const first = await client.get('/v1/agents/dexter/messages', token.dexter);
      expect(first.status).toBe(200);
      expect(first.body.nextCursor).toBeNull();
      expect(ids(first)).toEqual(order);
      expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual(order);
      expect(ids(await client.get('/v1/agents/dexter/messages?count=2', token.dexter))).toEqual(
        order.slice(0, 2),
      );
      expect(ids(await client.get('/v1/agents/dexter/messages?priority=medium', token.dexter))).toEqual([
        sent.med1,
        sent.med2,
      ]);
    });

    it('leases to one consumer at a time and counts deliveries', async () => {
      const message = await client.post('/v1/messages', token.nova, { targetAgent: 'kai', context: {} });
      const a = await client.get('/v1/agents/kai/messages?consumer=replica-a', token.kai);
      expect(ids(a)).toEqual([message.body.id]);
      expect(a.body.items[0].deliveryCount).toBe(1);
      const b = await client.get('/v1/agents/kai/messages?consumer=replica-b', token.kai);
      expect(ids(b)).toEqual([]);
      // A peek still shows it: it is not acknowledged.
      expect(ids(await client.get('/v1/agents/kai/messages', token.kai))).toEqual([message.body.id]);
    });

    it('holds a long poll until a message arrives', async () => {
      const started = Date.now();
      const poll = client.get('/v1/agents/kai/messages?wait=10000', token.kai);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const message = await client.post('/v1/messages', token.dexter, {
        targetAgent: 'kai',
        context: { hi: 1 },
      });
      const answer = await poll;
      expect(answer.status).toBe(200);
      expect(ids(answer)).toEqual([message.body.id]);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('answers an empty list after `wait` when nothing arrives', async () => {
      const started = Date.now();
      const answer = await client.get('/v1/agents/kai/messages?wait=300', token.kai);
      expect(answer.status).toBe(200);
      expect(answer.body.items).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it.each([
      ['count=0', 'count must be an integer between 1 and 1000'],
      ['count=1001', 'count must be an integer between 1 and 1000'],
      ['count=abc', 'count must be an integer between 1 and 1000'],
      ['count=1.5', 'count must be an integer between 1 and 1000'],
      ['wait=-1', 'wait must be an integer between 0 and 30000'],
      ['wait=30001', 'wait must be an integer between 0 and 30000'],
      ['consumer=a%20b', 'consumer must match'],
      [`consumer=${'c'.repeat(65)}`, 'consumer must match'],
      ['priority=urgent', 'priority must be one of'],
      ['colour=red', 'property colour should not exist'],
    ])('answers 400 for ?%s', async (query, message) => {
      const response = await client.get(`/v1/agents/kai/messages?${query}`, token.kai);
      expect(response.status).toBe(400);
      expect(response.body.message).toContain(message);
    });

    it("is for that agent only (403), the admin may read any agent's (404 if unknown)", async () => {
      expect((await client.get('/v1/agents/kai/messages', token.nova)).status).toBe(403);
      expect((await client.get('/v1/agents/kai/messages', ADMIN_TOKEN)).status).toBe(200);
      expect((await client.get('/v1/agents/zed/messages', ADMIN_TOKEN)).status).toBe(404);
    });
  });

  describe('acknowledgements', () => {
    it('POST /v1/messages/{id}/ack answers 200, again 200 as before', async () => {
      const message = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      const id = message.body.id as string;
      const ack = await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
      expect(ack.status).toBe(200);
      expect(ack.body).toEqual({
        id,
        agentId: 'dexter',
        acknowledged: true,
        acknowledgedAt: expect.stringMatching(ISO),
      });
      const again = await client.post(`/v1/messages/${id}/ack`, token.dexter);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(ack.body);
      expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([]);
    });

    it('answers 404 for a message not addressed to the caller, or unknown; 400 for a bad id or body', async () => {
      const message = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      const id = message.body.id as string;
      expect((await client.post(`/v1/messages/${id}/ack`, token.kai, {})).status).toBe(404);
      expect((await client.post(`/v1/messages/${id}/ack`, token.nova, {})).status).toBe(404);
      expect((await client.post(`/v1/messages/${randomUUID()}/ack`, token.dexter, {})).status).toBe(404);
      const badId = await client.post('/v1/messages/nope/ack', token.dexter, {});
      expect(badId.status).toBe(400);
      expect(badId.body.message).toBe('messageId must be a UUID');
      expect((await client.post(`/v1/messages/${id}/ack`, token.dexter, { x: 1 })).status).toBe(400);
      expect((await client.post(`/v1/messages/${id}/ack`, token.dexter, { agentId: 'kai' })).status).toBe(
        403,
      );
      expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([id]);
    });

    it('lets the admin acknowledge for a named recipient', async () => {
      const message = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      const id = message.body.id as string;
      expect((await client.post(`/v1/messages/${id}/ack`, ADMIN_TOKEN, {})).status).toBe(400);
      const ack = await client.post(`/v1/messages/${id}/ack`, ADMIN_TOKEN, { agentId: 'dexter' });
      expect(ack.status).toBe(200);
      expect(ack.body.agentId).toBe('dexter');
    });

    it('POST /v1/agents/{id}/acks acknowledges many and skips unknown ids', async () => {
      const sent = [];
      for (let i = 0; i < 3; i += 1) {
        sent.push(
          (await client.post('/v1/messages', token.nova, { targetAgent: 'kai', context: { i } })).body.id,
        );
      }
      const response = await client.post('/v1/agents/kai/acks', token.kai, { ids: [...sent, randomUUID()] });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ acknowledged: 3 });
      expect(ids(await client.get('/v1/agents/kai/messages', token.kai))).toEqual([]);
    });

    it.each([
      [{ ids: [] }, 'ids must be an array of 1..1000 UUIDs'],
      [{ ids: 'x' }, 'ids must be an array of 1..1000 UUIDs'],
      [{ ids: [randomUUID(), 7] }, 'each of ids must be a UUID'],
      [{}, 'ids must be an array of 1..1000 UUIDs'],
      [{ ids: ['nope'] }, 'each of ids must be a UUID'],
      [{ ids: Array.from({ length: 1001 }, () => randomUUID()) }, 'ids must be an array of 1..1000 UUIDs'],
    ])('acks answers 400 for %#', async (body, message) => {
      const response = await client.post('/v1/agents/kai/acks', token.kai, body);
      expect(response.status).toBe(400);
      expect(response.body.message).toBe(message);
    });

    it('acks is for that agent only', async () => {
      const message = await client.post('/v1/messages', token.nova, { targetAgent: 'kai', context: {} });
      const response = await client.post('/v1/agents/kai/acks', token.dexter, { ids: [message.body.id] });
      expect(response.status).toBe(403);
      expect(ids(await client.get('/v1/agents/kai/messages', token.kai))).toEqual([message.body.id]);
      expect(
        (await client.post('/v1/agents/kai/acks', ADMIN_TOKEN, { ids: [message.body.id] })).body,
      ).toEqual({
        acknowledged: 1,
      });
    });
  });

  describe('GET /v1/messages/{messageId}', () => {
    it('shows the message and its status to the sender, the recipient and the admin; 404 to others', async () => {
      const message = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: { q: 1 },
      });
      const id = message.body.id as string;
      for (const caller of [token.nova, token.dexter, ADMIN_TOKEN]) {
        const response = await client.get(`/v1/messages/${id}`, caller);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({
          ...message.body,
          status: {
            acknowledged: false,
            acknowledgedBy: [],
            pendingFor: ['dexter'],
            deadLetteredFor: [],
            expired: false,
          },
        });
      }
      const stranger = await client.get(`/v1/messages/${id}`, token.kai);
      expect(stranger.status).toBe(404);
      expect(stranger.body.message).toBe(`message '${id}' was not found`);
      await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
      const acknowledged = await client.get(`/v1/messages/${id}`, token.nova);
      expect(acknowledged.body.status).toEqual({
        acknowledged: true,
        acknowledgedBy: ['dexter'],
        pendingFor: [],
        deadLetteredFor: [],
        expired: false,
      });
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expect((await client.get(`/v1/messages/${randomUUID()}`, ADMIN_TOKEN)).status).toBe(404);
      expect((await client.get('/v1/messages/12345', ADMIN_TOKEN)).status).toBe(400);
    });
  });
});

describe('dead letters (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('deadletters', {
      env: {
        BRAIN_VISIBILITY_TIMEOUT_MS: '100',
        BRAIN_MAX_DELIVERIES: '2',
      },
      agents: ['nova', 'dexter', 'kai'],
    });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  it('moves a message to the dead letters after BRAIN_MAX_DELIVERIES, and requeues it', async () => {
    const message = await client.post('/v1/messages', token.nova, {
      targetAgent: 'dexter',
      context: { job: 1 },
    });
    const id = message.body.id as string;
    const letters = await waitFor(async () => {
      await client.get('/v1/agents/dexter/messages?consumer=flaky', token.dexter);
      const dead = await client.get('/v1/agents/dexter/dead-letters', token.dexter);
      return dead.body.items.length > 0 ? dead : undefined;
    }, 'the message to be dead-lettered');
    expect(letters.status).toBe(200);
    expect(letters.body.items).toEqual([
      {
        ...message.body,
        deliveryCount: 2,
        reason: 'max_deliveries',
        detail: null,
        deadAt: expect.stringMatching(ISO),
      },
    ]);
    expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([]);

    expect((await client.get('/v1/agents/dexter/dead-letters', token.kai)).status).toBe(403);
    expect((await client.get('/v1/agents/dexter/dead-letters?limit=1', ADMIN_TOKEN)).body.items).toHaveLength(
      1,
    );
    expect((await client.get('/v1/agents/dexter/dead-letters?limit=0', ADMIN_TOKEN)).status).toBe(400);
    expect((await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, token.kai)).status).toBe(403);

    const requeued = await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, token.dexter);
    expect(requeued.status).toBe(200);
    expect(requeued.body).toMatchObject({
      id,
      fromAgent: 'nova',
      toAgent: 'dexter',
      payload: { job: 1 },
      deliveryCount: 0,
    });
    expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([id]);
    expect((await client.get('/v1/agents/dexter/dead-letters', token.dexter)).body.items).toEqual([]);
    expect((await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, ADMIN_TOKEN)).status).toBe(404);
    expect((await client.post(`/v1/agents/dexter/dead-letters/nope/requeue`, ADMIN_TOKEN)).status).toBe(400);
    expect((await client.post(`/v1/agents/zed/dead-letters/${id}/requeue`, ADMIN_TOKEN)).status).toBe(404);
  });
});
