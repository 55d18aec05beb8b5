import { randomUUID } from 'node:crypto';
import { AgentsService } from '../../src/agents/agents.service';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { ADMIN_TOKEN, rawRedis, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

const ids = (response: { body: { items: { id: string }[] } }) => response.body.items.map((m) => m.id);

/** Contract v1.1: replies (`inReplyTo`), routing by capability (`routing`), capability discovery. */
describe('replies and routing by capability (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  const token: Record<string, string> = {};
  // Analysts offer 'analysis'; nova offers it too, and sends: routing never picks the sender.
  const CAPABILITIES: Record<string, string[]> = {
    nova: ['analysis', 'sales'],
    ana: ['analysis'],
    bea: ['analysis', 'forecasting'],
    cal: ['analysis'],
    dexter: ['sales'],
    solo: ['solitaire'],
  };

  beforeAll(async () => {
    brain = await startBrain('routing');
    client = brain.client;
    for (const [id, capabilities] of Object.entries(CAPABILITIES))
      token[id] = await client.register(ADMIN_TOKEN, id, { capabilities });
  });

  afterAll(() => brain?.close());

  async function drain(agent: string): Promise<void> {
    const pending = await client.get(`/v1/agents/${agent}/messages?count=1000`, token[agent]);
    if (pending.body.items.length > 0)
      await client.post(`/v1/agents/${agent}/acks`, token[agent], { ids: ids(pending) });
  }

  async function pendingCount(agent: string): Promise<number> {
    return (await client.get(`/v1/agents/${agent}/messages?count=1000`, token[agent])).body.items.length;
  }

  async function fill(agent: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++)
      expect(
        (await client.post('/v1/messages', token.dexter, { targetAgent: agent, context: { i } })).status,
      ).toBe(201);
  }

  const route = (from: string, capability: string, extra: Record<string, unknown> = {}) =>
    client.post('/v1/messages', token[from], {
      routing: { capability },
      context: { job: 'analyse' },
      ...extra,
    });

  beforeEach(async () => {
    for (const agent of Object.keys(CAPABILITIES)) await drain(agent);
  });

  describe('routing: { capability } on POST /v1/messages', () => {
    it('400 for both targetAgent and routing, or neither; nothing is written', async () => {
      const both = await client.post('/v1/messages', token.nova, {
        targetAgent: 'ana',
        routing: { capability: 'analysis' },
        context: {},
      });
      expect(both.status).toBe(400);
      expect(both.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'exactly one of targetAgent and routing is required',
      });
      const neither = await client.post('/v1/messages', token.nova, { context: {} });
      expect(neither.status).toBe(400);
      expect(neither.body.message).toBe('exactly one of targetAgent and routing is required');
      for (const agent of ['ana', 'bea', 'cal']) expect(await pendingCount(agent)).toBe(0);
    });

    it('400 for a malformed routing object', async () => {
      for (const routing of [
        {},
        { capability: '' },
        { capability: 7 },
        { capability: 'x'.repeat(65) },
        'analysis',
      ]) {
        const response = await client.post('/v1/messages', token.nova, { routing, context: {} });
        expect(response.status).toBe(400);
      }
      const extra = await client.post('/v1/messages', token.nova, {
        routing: { capability: 'analysis', type: 'analysis' },
        context: {},
      });
      expect(extra.status).toBe(400);
      expect(
        await client.post('/v1/broadcasts', token.nova, { routing: { capability: 'x' }, context: {} }),
      ).toMatchObject({ status: 400 });
    });

    it("404 when no registered agent offers the capability, the sender's own not counting", async () => {
      const nobody = await route('nova', 'juggling');
      expect(nobody.status).toBe(404);
      expect(nobody.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: "no registered agent offers capability 'juggling'",
      });
      const onlySelf = await route('solo', 'solitaire');
      expect(onlySelf.status).toBe(404);
      expect(onlySelf.body.message).toBe("no registered agent offers capability 'solitaire'");
      expect(await pendingCount('solo')).toBe(0);
    });

    it('picks the capable agent with the fewest pending messages; 201 names it with routedBy', async () => {
      await fill('ana', 2);
      await fill('cal', 1);
      const response = await route('nova', 'analysis', { type: 'job', priority: 'high' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        fromAgent: 'nova',
        toAgent: 'bea',
        routedBy: 'capability:analysis',
        priority: 'high',
        type: 'job',
        inReplyTo: null,
        expiresAt: null,
        deliverAt: null,
      });
      const pending = await client.get('/v1/agents/bea/messages', token.bea);
      expect(pending.body.items).toEqual([response.body]);
      const read = await client.get(`/v1/messages/${response.body.id}`, token.nova);
      expect(read.body).toMatchObject({ toAgent: 'bea', routedBy: 'capability:analysis' });
    });

    it('between equally loaded agents, the one routed to least recently', async () => {
      const chosen: string[] = [];
      for (let i = 0; i < 6; i++) {
        const response = await route('nova', 'analysis');
        expect(response.status).toBe(201);
        chosen.push(response.body.toAgent);
        await drain(response.body.toAgent); // loads stay equal: only the tie-break decides
      }
      expect(new Set(chosen.slice(0, 3))).toEqual(new Set(['ana', 'bea', 'cal']));
      expect(chosen.slice(3)).toEqual(chosen.slice(0, 3));
    });

    it('never routes to the sender, however idle it is', async () => {
      await fill('ana', 3);
      await fill('bea', 3);
      await fill('cal', 3);
      const response = await route('nova', 'analysis');
      expect(response.status).toBe(201);
      expect(response.body.toAgent).not.toBe('nova');
      expect(await pendingCount('nova')).toBe(0);
      const sales = await route('nova', 'sales');
      expect(sales.body.toAgent).toBe('dexter');
    });

    it('a repeated id goes where the first attempt went: 200 with the original message', async () => {
      const id = randomUUID();
      const first = await route('nova', 'analysis', { id });
      expect(first.status).toBe(201);
      await fill(first.body.toAgent, 5); // the first target is now the busiest
      const again = await route('nova', 'analysis', { id });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    });

    it('a deleted agent is routed to no more; a registered one from then on', async () => {
      token.zed = await client.register(ADMIN_TOKEN, 'zed', { capabilities: ['juggling'] });
      const routed = await route('nova', 'juggling');
      expect(routed.body).toMatchObject({ toAgent: 'zed', routedBy: 'capability:juggling' });
      expect((await client.delete('/v1/agents/zed', ADMIN_TOKEN)).status).toBe(204);
      expect((await route('nova', 'juggling')).status).toBe(404);
    });

    it('capabilities are free text: names with spaces, braces and non-ASCII route like any other', async () => {
      token.odd = await client.register(ADMIN_TOKEN, 'odd', { capabilities: ['{weird} name', 'analyse-ü'] });
      expect((await route('nova', '{weird} name')).body.toAgent).toBe('odd');
      expect((await route('nova', 'analyse-ü')).body.toAgent).toBe('odd');
      expect((await route('nova', '{weird}')).status).toBe(404);
      expect((await client.delete('/v1/agents/odd', ADMIN_TOKEN)).status).toBe(204);
    });
  });

  it('agents registered before capabilities were mirrored get them at start', async () => {
    token.old = await client.register(ADMIN_TOKEN, 'old', { capabilities: ['archaeology'] });
    const keys = new RedisKeys(brain.environment.config.redis.prefix);
    const redis = rawRedis(brain.environment.config);
    try {
      // What a Redis written by an earlier version holds: the meta without capabilities, no capability set.
      await redis.hdel(keys.agentMeta('old'), 'caps');
      await redis.del(keys.capabilityAgents('archaeology'));
    } finally {
      redis.disconnect();
    }
    expect((await route('nova', 'archaeology')).status).toBe(404);
    const agents = brain.app.get(AgentsService);
    expect(await agents.mirrorCapabilities()).toBe(1);
    expect(await agents.mirrorCapabilities()).toBe(0);
    expect((await route('nova', 'archaeology')).body).toMatchObject({ toAgent: 'old' });
    expect((await client.delete('/v1/agents/old', ADMIN_TOKEN)).status).toBe(204);
  });

  describe('GET /v1/agents?capability=', () => {
    it('lists only the agents offering it', async () => {
      const analysts = await client.get('/v1/agents?capability=analysis', token.dexter);
      expect(analysts.status).toBe(200);
      expect(analysts.body.items.map((a: { id: string }) => a.id).sort()).toEqual([
        'ana',
        'bea',
        'cal',
        'nova',
      ]);
      const none = await client.get('/v1/agents?capability=juggling', token.dexter);
      expect(none.body.items).toEqual([]);
      const all = await client.get('/v1/agents', token.dexter);
      expect(all.body.items.length).toBe(Object.keys(CAPABILITIES).length);
      expect((await client.get('/v1/agents?capability=', token.dexter)).status).toBe(400);
    });
  });

  describe('inReplyTo', () => {
    it('is stored, returned on every read, archived, and shows threads in conversations', async () => {
      const question = await client.post('/v1/messages', token.bea, {
        targetAgent: 'cal',
        context: { q: 'Q3?' },
      });
      expect(question.body.inReplyTo).toBeNull();
      const answer = await client.post('/v1/messages', token.cal, {
        targetAgent: 'bea',
        context: { a: 'up 12%' },
        inReplyTo: question.body.id.toUpperCase(),
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ inReplyTo: question.body.id, routedBy: null });

      expect((await client.get('/v1/agents/bea/messages', token.bea)).body.items).toEqual([answer.body]);
      expect((await client.get(`/v1/messages/${answer.body.id}`, token.bea)).body).toMatchObject({
        inReplyTo: question.body.id,
      });
      const lease = await client.get('/v1/agents/bea/messages?consumer=w1', token.bea);
      expect(lease.body.items[0]).toMatchObject({ id: answer.body.id, inReplyTo: question.body.id });

      const conversation = await waitFor(async () => {
        const page = await client.get('/v1/conversations/bea/cal', token.bea);
        return page.body.items.length === 2 ? page.body.items : undefined;
      }, 'both messages archived');
      expect(conversation).toEqual([
        expect.objectContaining({ messageId: answer.body.id, inReplyTo: question.body.id }),
        expect.objectContaining({ messageId: question.body.id, inReplyTo: null }),
      ]);
      const history = await client.get('/v1/agents/cal/history', token.cal);
      expect(history.body.items).toContainEqual(
        expect.objectContaining({ messageId: answer.body.id, inReplyTo: question.body.id }),
      );
    });

    it('works on broadcasts and routed messages; a malformed one is 400 and writes nothing', async () => {
      const about = randomUUID();
      const broadcast = await client.post('/v1/broadcasts', token.nova, { context: {}, inReplyTo: about });
      expect(broadcast.status).toBe(201);
      expect(broadcast.body).toMatchObject({ toAgent: 'broadcast', inReplyTo: about });
      expect((await client.get('/v1/agents/ana/messages', token.ana)).body.items).toEqual([broadcast.body]);
      const routed = await route('nova', 'sales', { inReplyTo: about });
      expect(routed.body).toMatchObject({
        toAgent: 'dexter',
        inReplyTo: about,
        routedBy: 'capability:sales',
      });

      await drain('dexter');
      for (const inReplyTo of ['not-a-uuid', 42, '']) {
        const response = await client.post('/v1/messages', token.nova, {
          targetAgent: 'dexter',
          context: {},
          inReplyTo,
        });
        expect(response.status).toBe(400);
        expect(response.body.message).toBe('inReplyTo must be a UUID');
      }
      expect(await pendingCount('dexter')).toBe(0);
    });
  });
});
