import { startTestApp } from '../support/test-app';
import { ADMIN_TOKEN, scanKeys } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

describe('operations API (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('operations', { agents: ['nova', 'dexter'] });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  it('GET /v1/stats: counters for the admin, 403 for an agent', async () => {
    const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
    await client.post(`/v1/messages/${sent.body.id as string}/ack`, token.dexter, {});
    await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
    const stats = await client.get('/v1/stats', ADMIN_TOKEN);
    expect(stats.status).toBe(200);
    expect(stats.body).toEqual({
      totalMessages: expect.any(Number),
      pendingMessages: 1,
      acknowledgedMessages: 1,
      deadLetters: 0,
      streamsByAgent: expect.objectContaining({ dexter: expect.any(Number) }),
      archiveLag: expect.any(Number),
    });
    expect(stats.body.totalMessages).toBeGreaterThanOrEqual(2);
    expect((await client.get('/v1/stats', token.nova)).status).toBe(403);
  });

  it('DELETE /v1/data: 400 without X-Confirm, 403 for an agent, 204 and everything gone for the admin', async () => {
    await client.post('/v1/agents/nova/memories', token.nova, { context: { keep: false } });
    const withoutHeader = await client.delete('/v1/data', ADMIN_TOKEN);
    expect(withoutHeader.status).toBe(400);
    expect(withoutHeader.body.message).toContain('X-Confirm: clear-all');
    expect((await client.delete('/v1/data', ADMIN_TOKEN, { 'x-confirm': 'yes' })).status).toBe(400);
    expect((await client.delete('/v1/data', token.nova, { 'x-confirm': 'clear-all' })).status).toBe(403);
    expect((await client.get('/v1/agents', ADMIN_TOKEN)).body.items).toHaveLength(2);

    const cleared = await client.delete('/v1/data', ADMIN_TOKEN, { 'x-confirm': 'clear-all' });
    expect(cleared.status).toBe(204);
    const left = (
      await scanKeys(brain.environment.config, `${brain.environment.config.redis.prefix}:*`)
    ).filter((key) => !key.includes(':ratelimit:'));
    expect(left).toEqual([]);
    expect((await client.get('/v1/agents', ADMIN_TOKEN)).body.items).toEqual([]);
    expect((await client.get('/v1/agents/nova/memories', ADMIN_TOKEN)).body.items).toEqual([]);
    expect((await client.get('/v1/agents/nova/history', ADMIN_TOKEN)).body.items).toEqual([]);
    expect((await client.get('/v1/agents', token.nova)).status).toBe(401);
    const stats = await client.get('/v1/stats', ADMIN_TOKEN);
    expect(stats.body).toMatchObject({ totalMessages: 0, pendingMessages: 0, streamsByAgent: {} });
    // Brain works on after a clear.
    expect((await client.post('/v1/agents', ADMIN_TOKEN, { id: 'nova' })).status).toBe(201);
  });
});

describe('rate limiting (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;

  beforeAll(async () => {
    brain = await startBrain('ratelimit', { env: { BRAIN_RATE_LIMIT_PER_MINUTE: '5' } });
    client = brain.client;
  });

  afterAll(() => brain?.close());

  it('answers 429 with Retry-After once an agent exceeds its limit, across all routes; others are not affected', async () => {
    const nova = await client.register(ADMIN_TOKEN, 'nova');
    const dexter = await client.register(ADMIN_TOKEN, 'dexter');
    for (let i = 0; i < 5; i += 1) {
      const response = await client.get(i % 2 ? '/v1/agents' : '/v1/agents/nova', nova);
      expect(response.status).toBe(200);
    }
    const limited = await client.get('/v1/agents', nova);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining("agent 'nova' exceeded its limit of 5 requests per minute"),
    });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await client.get('/v1/agents', dexter)).status).toBe(200);
    // The counter lives in Redis, in the agent's hash slot, so every replica shares it.
    const keys = await scanKeys(
      brain.environment.config,
      `${brain.environment.config.redis.prefix}:*ratelimit*`,
    );
    expect(keys).toEqual(
      expect.arrayContaining([`${brain.environment.config.redis.prefix}:{agent:nova}:ratelimit:default`]),
    );
  });

  it('shares the limit across replicas', async () => {
    const second = await startTestApp(brain.environment.config);
    try {
      const replica = new BrainClient(second.url);
      const kai = await client.register(ADMIN_TOKEN, 'kai');
      const statuses = [];
      for (let i = 0; i < 6; i += 1)
        statuses.push((await (i % 2 ? client : replica).get('/v1/agents', kai)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      await second.app.close();
    }
  });

  it('never limits the admin', async () => {
    for (let i = 0; i < 12; i += 1) expect((await client.get('/v1/agents', ADMIN_TOKEN)).status).toBe(200);
  });
});

describe('BRAIN_AUTH=off (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;

  beforeAll(async () => {
    brain = await startBrain('authoff', { env: { BRAIN_AUTH: 'off' } });
    client = brain.client;
  });

  afterAll(() => brain?.close());

  it('lets every request act as the admin, without a token', async () => {
    expect((await client.post('/v1/agents', undefined, { id: 'nova' })).status).toBe(201);
    expect((await client.get('/v1/stats')).status).toBe(200);
    expect((await client.post('/v1/messages', undefined, { targetAgent: 'nova', context: {} })).status).toBe(
      400,
    );
  });
});
