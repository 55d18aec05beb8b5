import { BrainAI } from '../../src/brain/brain-ai.service';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { runSql } from '../integration/memory-harness';
import { ADMIN_TOKEN, rawRedis, scanKeys, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

const MAX_PAGE_BYTES = 4194304;

/**
 * Issue 11, memory side: pages bounded in bytes and unable to starve other routes, a bounded read cache, re-used
 * agent ids that start empty, a stable order within a millisecond, insights scoped to what an agent may see, and
 * the README's search example.
 */
describe('memory limits and correctness (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;
  const sql = (text: string, values: unknown[] = []) => runSql(brain.environment.config, text, values);

  beforeAll(async () => {
    brain = await startBrain('memlimits', { agents: ['dexter', 'kai', 'rhea', 'bulk'] });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  it("runs the README's memory-search example as written and finds the record", async () => {
    // From README "API at a glance", word for word.
    const NOVA = await client.register(ADMIN_TOKEN, 'nova', { capabilities: ['sales'] });
    token.nova = NOVA;
    const stored = await client.post('/v1/agents/nova/memories', NOVA, {
      context: { region: 'EMEA', revenue: 1250000 },
      type: 'sales_data',
      tags: ['q3', 'emea'],
    });
    expect(stored.status).toBe(201);
    const found = await client.get('/v1/agents/nova/memories?tags=q3&q=revenue', token.dexter);
    expect(found.status).toBe(200);
    expect(found.body.items.map((item: { id: string }) => item.id)).toEqual([stored.body.id]);
  });

  it('lists messages of the same millisecond in the order they were published, across pages', async () => {
    const brainAI = brain.app.get(BrainAI);
    const published: { id: string; timestamp: string }[] = [];
    for (let i = 0; i < 60; i++) {
      const result = await brainAI.publishMessage({
        sourceAgent: 'kai',
        targetAgent: 'dexter',
        context: { i },
      });
      published.push({ id: result.message.id, timestamp: result.message.timestamp });
    }
    // The test means something only if some messages share a millisecond.
    expect(new Set(published.map((p) => p.timestamp)).size).toBeLessThan(published.length);
    const newestFirst = published.map((p) => p.id).reverse();

    const walk = async (path: string, agentToken: string) => {
      const ids: string[] = [];
      let cursor = '';
      do {
        const page = await client.get(`${path}?limit=7${cursor ? `&cursor=${cursor}` : ''}`, agentToken);
        expect(page.status).toBe(200);
        ids.push(...page.body.items.map((item: { id: string }) => item.id));
        cursor = page.body.nextCursor ?? '';
      } while (cursor);
      return ids;
    };
    await waitFor(
      async () => (await walk('/v1/conversations/kai/dexter', token.kai)).length === 60,
      'the 60 messages to be archived',
    );
    expect(await walk('/v1/conversations/kai/dexter', token.kai)).toEqual(newestFirst);
    expect(await walk('/v1/conversations/dexter/kai', token.dexter)).toEqual(newestFirst);
    expect(await walk('/v1/agents/kai/history', token.kai)).toEqual(newestFirst);
  });

  it('shows an agent only the traffic and memories it may see in insights; the admin sees all', async () => {
    const brainAI = brain.app.get(BrainAI);
    await brainAI.publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: { deal: 'x' },
      type: 'secret_deal',
    });
    await client.post('/v1/agents/nova/memories', token.nova, {
      context: { plan: 'y' },
      type: 'private_plan',
      tags: ['hidden-tag'],
      visibility: 'private',
    });
    await waitFor(
      async () =>
        (await client.get('/v1/insights', ADMIN_TOKEN)).body.pairs.some(
          (pair: { from: string; to: string }) => pair.from === 'nova' && pair.to === 'dexter',
        ),
      'the nova → dexter message to be archived',
    );
    const admin = (await client.get('/v1/insights', ADMIN_TOKEN)).body;
    expect(admin.topTypes.map((t: { type: string }) => t.type)).toContain('secret_deal');
    expect(admin.agents.find((a: { agentId: string }) => a.agentId === 'nova')).toMatchObject({
      memories: 2,
    });

    const asKai = await client.get('/v1/insights', token.kai);
    expect(asKai.status).toBe(200);
    for (const pair of asKai.body.pairs as { from: string; to: string }[])
      expect([pair.from, pair.to].some((side) => side === 'kai' || side === 'broadcast')).toBe(true);
    expect(asKai.body.pairs).toEqual([{ from: 'kai', to: 'dexter', count: 60, lastAt: expect.any(String) }]);
    expect(asKai.body.topTypes.map((t: { type: string }) => t.type)).not.toContain('secret_deal');
    // Memories: nova's shared one counts for kai, its private one does not; no agent's traffic but kai's own.
    expect(asKai.body.agents).toEqual([
      { agentId: 'dexter', sent: 0, received: 60, memories: 0 },
      { agentId: 'kai', sent: 60, received: 0, memories: 0 },
      { agentId: 'nova', sent: 0, received: 0, memories: 1 },
    ]);
    expect(asKai.body.topTags.map((t: { tag: string }) => t.tag)).not.toContain('hidden-tag');
    // nova sees its own private memory counted, and its message to dexter.
    const asNova = (await client.get('/v1/insights', token.nova)).body;
    expect(asNova.agents.find((a: { agentId: string }) => a.agentId === 'nova')).toMatchObject({
      sent: 1,
      memories: 2,
    });
    expect(asNova.topTypes.map((t: { type: string }) => t.type)).toContain('secret_deal');
  });

  it("gives a deleted agent's id, registered again, none of the old agent's memories, history or conversations", async () => {
    const brainAI = brain.app.get(BrainAI);
    const oldToken = token.rhea;
    expect((await client.post('/v1/agents/rhea/memories', oldToken, { context: { s: 1 } })).status).toBe(201);
    const secret = await client.post('/v1/agents/rhea/memories', oldToken, {
      context: { s: 2 },
      visibility: 'private',
    });
    expect(secret.status).toBe(201);
    await brainAI.publishMessage({ sourceAgent: 'rhea', targetAgent: 'kai', context: { to: 'kai' } });
    await brainAI.publishMessage({ sourceAgent: 'kai', targetAgent: 'rhea', context: { to: 'rhea' } });
    await waitFor(
      async () => (await client.get('/v1/conversations/rhea/kai', oldToken)).body.items?.length === 2,
      'the conversation to be archived',
    );
    expect((await client.get('/v1/agents/rhea/history', oldToken)).body.items).toHaveLength(4);

    expect((await client.delete('/v1/agents/rhea', ADMIN_TOKEN)).status).toBe(204);
    const newToken = await client.register(ADMIN_TOKEN, 'rhea');

    // The old token never works again.
    expect((await client.get('/v1/agents/rhea/history', oldToken)).status).toBe(401);
    expect((await client.post('/v1/agents/rhea/memories', oldToken, { context: {} })).status).toBe(401);

    // The new agent starts empty.
    const empty = { items: [], nextCursor: null };
    expect((await client.get('/v1/agents/rhea/history', newToken)).body).toEqual(empty);
    expect((await client.get('/v1/agents/rhea/memories', newToken)).body).toEqual(empty);
    expect((await client.get('/v1/conversations/rhea/kai', newToken)).body).toEqual(empty);
    expect((await client.get('/v1/agents/rhea/memories', token.kai)).body).toEqual(empty);
    const insights = (await client.get('/v1/insights', newToken)).body;
    expect(insights.pairs).toEqual([]);
    expect(insights.agents.find((a: { agentId: string }) => a.agentId === 'rhea')).toBeUndefined();

    // What it stores now is its own; the old history stays in Postgres, readable by the admin.
    const fresh = await client.post('/v1/agents/rhea/memories', newToken, { context: { s: 3 } });
    expect((await client.get('/v1/agents/rhea/memories', newToken)).body.items).toEqual([fresh.body]);
    const adminView = await client.get('/v1/agents/rhea/history', ADMIN_TOKEN);
    expect(adminView.body.items.map((item: { id: string }) => item.id)).toContain(secret.body.id);
    expect(adminView.body.items).toHaveLength(5);
  });

  it("does not show a deleted agent's id, registered again, the old agent's messages by their ids", async () => {
    const oldToken = await client.register(ADMIN_TOKEN, 'ione');
    const sent = await client.post('/v1/messages', oldToken, { targetAgent: 'kai', context: { s: 1 } });
    const received = await client.post('/v1/messages', token.kai, {
      targetAgent: 'ione',
      context: { secret: 2 },
      type: 'private_deal',
    });
    expect([sent.status, received.status]).toEqual([201, 201]);
    expect((await client.get(`/v1/messages/${received.body.id}`, oldToken)).status).toBe(200);

    expect((await client.delete('/v1/agents/ione', ADMIN_TOKEN)).status).toBe(204);
    const newToken = await client.register(ADMIN_TOKEN, 'ione');
    for (const id of [sent.body.id, received.body.id]) {
      const read = await client.get(`/v1/messages/${id}`, newToken);
      expect({ status: read.status, body: read.body }).toEqual({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: `message '${id}' was not found` },
      });
      // Its other party and the admin still see it.
      expect((await client.get(`/v1/messages/${id}`, token.kai)).status).toBe(200);
      expect((await client.get(`/v1/messages/${id}`, ADMIN_TOKEN)).status).toBe(200);
    }
    // What reaches the new agent is its own.
    const fresh = await client.post('/v1/messages', token.kai, { targetAgent: 'ione', context: { s: 3 } });
    expect((await client.get(`/v1/messages/${fresh.body.id}`, newToken)).status).toBe(200);
  });

  it('keeps what 40 distinct queries over 2 MB of memories add to the Redis cache small', async () => {
    for (let i = 0; i < 40; i++) {
      const stored = await client.post('/v1/agents/dexter/memories', token.dexter, {
        context: { i, text: 'y'.repeat(50_000) },
        tags: ['cache-test'],
      });
      expect(stored.status).toBe(201);
    }
    const until = Date.now() + 60_000;
    for (let i = 0; i < 40; i++) {
      const query = `tags=cache-test&limit=${i % 2 ? 1000 : 1}&until=${new Date(until + i).toISOString()}`;
      const page = await client.get(`/v1/agents/dexter/memories?${query}`, token.kai);
      expect(page.status).toBe(200);
    }
    const keys = new RedisKeys(brain.environment.config.redis.prefix);
    const entries = await scanKeys(
      brain.environment.config,
      `${keys.memoryCacheVersion('dexter').replace(/version$/, '')}*`,
    );
    const redis = rawRedis(brain.environment.config);
    try {
      const sizes = await Promise.all(entries.map((key) => redis.memory('USAGE', key)));
      const total = sizes.reduce<number>((sum, size) => sum + Number(size ?? 0), 0);
      expect(total).toBeLessThan(8 * 1024 * 1024);
    } finally {
      redis.disconnect();
    }
    // Small pages are still cached.
    expect(entries.length).toBeGreaterThan(2);
  });

  it('stops pages at BRAIN_MAX_PAGE_BYTES; 20 concurrent big pages starve neither publishes nor readiness', async () => {
    // 160 records of 256 KB: 40 MB behind one query (all after bulk registered, record 1 the newest).
    const registered = (await client.get('/v1/agents/bulk', ADMIN_TOKEN)).body.createdAt as string;
    await sql(
      `INSERT INTO memories (id, agent_id, context, created_at)
       SELECT gen_random_uuid(), 'bulk', jsonb_build_object('n', g, 'blob', repeat('b', 262000)),
              $1::timestamptz + (200 - g) * interval '1 ms'
       FROM generate_series(1, 160) g`,
      [registered],
    );
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    let reading = true;
    const others = { publishes: [] as number[], ready: [] as number[], registrations: [] as number[] };
    const background = (async () => {
      for (let i = 0; reading; i++) {
        const [published, ready] = await Promise.all([
          client.post('/v1/messages', token.kai, { targetAgent: 'dexter', context: { during: i } }),
          client.get('/health/ready'),
        ]);
        others.publishes.push(published.status);
        others.ready.push(ready.status);
        if (i % 5 === 0) {
          const id = `late-${i}`;
          others.registrations.push((await client.post('/v1/agents', ADMIN_TOKEN, { id })).status);
        }
      }
    })();
    try {
      const pages = await Promise.all(
        Array.from({ length: 20 }, () => client.get('/v1/agents/bulk/memories?limit=1000', token.dexter)),
      );
      for (const page of pages) {
        expect(page.status).toBe(200);
        expect(Buffer.byteLength(JSON.stringify(page.body))).toBeLessThanOrEqual(MAX_PAGE_BYTES);
        expect(page.body.items.length).toBeGreaterThan(1);
        expect(page.body.nextCursor).not.toBeNull();
      }
    } finally {
      reading = false;
      await background;
      clearInterval(sampler);
    }
    expect(others.publishes.length).toBeGreaterThan(0);
    expect(others.publishes.every((status) => status === 201)).toBe(true);
    expect(others.ready.every((status) => status === 200)).toBe(true);
    expect(others.registrations.every((status) => status === 201)).toBe(true);
    // 20 pages of 40 MB each would take gigabytes; 20 of 4 MB (plus this client's copies) stay well under one.
    expect(rssPeak - rssBefore).toBeLessThan(1024 * 1024 * 1024);

    // Paging through it all: every record once, in order, each page within the budget.
    const seen: number[] = [];
    let cursor = '';
    do {
      const page = await client.get(
        `/v1/agents/bulk/memories?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        token.dexter,
      );
      expect(Buffer.byteLength(JSON.stringify(page.body))).toBeLessThanOrEqual(MAX_PAGE_BYTES);
      seen.push(...page.body.items.map((item: { context: { n: number } }) => item.context.n));
      cursor = page.body.nextCursor ?? '';
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
  });
});
