import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, scanKeys, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** What another agent (dexter) gets. */
  other: number;
}

/**
 * Every contract route that names an agent or a message, called by an agent that is neither the owner (nova)
 * nor, for the message, its sender (kai) or recipient (nova).
 */
function routes(messageId: string): Route[] {
  return [
    { method: 'POST', path: '/v1/agents', body: { id: 'intruder' }, other: 403 },
    { method: 'DELETE', path: '/v1/agents/nova', other: 403 },
    { method: 'POST', path: '/v1/agents/nova/token', other: 403 },
    {
      method: 'POST',
      path: '/v1/messages',
      body: { targetAgent: 'kai', context: {}, sourceAgent: 'nova' },
      other: 403,
    },
    { method: 'POST', path: '/v1/broadcasts', body: { context: {}, sourceAgent: 'nova' }, other: 403 },
    { method: 'GET', path: '/v1/agents/nova/messages', other: 403 },
    { method: 'GET', path: '/v1/agents/nova/messages?consumer=thief', other: 403 },
    { method: 'POST', path: `/v1/messages/${messageId}/ack`, body: {}, other: 404 },
    { method: 'POST', path: `/v1/messages/${messageId}/ack`, body: { agentId: 'nova' }, other: 403 },
    { method: 'POST', path: '/v1/agents/nova/acks', body: { ids: [messageId] }, other: 403 },
    { method: 'GET', path: `/v1/messages/${messageId}`, other: 404 },
    { method: 'GET', path: '/v1/agents/nova/dead-letters', other: 403 },
    { method: 'POST', path: `/v1/agents/nova/dead-letters/${messageId}/requeue`, other: 403 },
    { method: 'POST', path: '/v1/agents/nova/memories', body: { context: { forged: true } }, other: 403 },
    { method: 'GET', path: '/v1/agents/nova/history', other: 403 },
    { method: 'GET', path: '/v1/conversations/nova/kai', other: 403 },
    { method: 'GET', path: '/v1/stats', other: 403 },
    { method: 'DELETE', path: '/v1/data', headers: { 'x-confirm': 'clear-all' }, other: 403 },
  ];
}

/** Every /v1 route of the contract, for the 401 checks. */
function allRoutes(messageId: string): Route[] {
  return [
    ...routes(messageId),
    { method: 'GET', path: '/v1/agents', other: 200 },
    { method: 'GET', path: '/v1/agents/nova', other: 200 },
    { method: 'GET', path: '/v1/agents/nova/memories', other: 200 },
    { method: 'GET', path: '/v1/insights', other: 200 },
  ];
}

describe('authorization matrix (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;
  let messageId: string;

  const call = (route: Route, bearer?: string) =>
    client.request(route.method, route.path, { token: bearer, body: route.body, headers: route.headers });

  /** What the admin sees of everything the routes could change, plus every Redis key. */
  async function snapshot(): Promise<unknown> {
    await waitFor(
      async () => (await client.get('/v1/stats', ADMIN_TOKEN)).body.archiveLag === 0,
      'the archive',
    );
    const views = await Promise.all(
      [
        '/v1/agents',
        '/v1/agents/nova/messages?count=1000',
        '/v1/agents/kai/messages?count=1000',
        `/v1/messages/${messageId}`,
        '/v1/agents/nova/memories?limit=1000',
        '/v1/agents/nova/history?limit=1000',
        '/v1/agents/nova/dead-letters',
        '/v1/stats',
      ].map(async (path) => (await client.get(path, ADMIN_TOKEN)).body),
    );
    // An authenticated request moves the caller's own lastSeenAt; that is not a change to someone else's data.
    const agents = views[0] as { items: { lastSeenAt?: unknown }[] };
    agents.items.forEach((agent) => delete agent.lastSeenAt);
    const keys = (await scanKeys(brain.environment.config, `${brain.environment.config.redis.prefix}:*`))
      .filter((key) => !key.includes(':ratelimit:'))
      .sort();
    return { views, keys };
  }

  beforeAll(async () => {
    // This suite alone sends ~100 bad tokens from one address: above the default failed-authentication limit.
    brain = await startBrain('authz', {
      agents: ['nova', 'dexter', 'kai'],
      env: { BRAIN_AUTH_FAILURES_PER_MINUTE: '1000' },
    });
    ({ client, token } = brain);
    messageId = (
      await client.post('/v1/messages', token.kai, { targetAgent: 'nova', context: { secret: 1 } })
    ).body.id;
    await client.post('/v1/agents/nova/memories', token.nova, {
      context: { diary: true },
      visibility: 'private',
    });
  });

  afterAll(() => brain?.close());

  it("gives another agent 403 or 404 on every route of nova's, and changes nothing", async () => {
    const before = await snapshot();
    const answers: string[] = [];
    for (const route of routes(messageId)) {
      const response = await call(route, token.dexter);
      answers.push(`${route.method} ${route.path} -> ${response.status}`);
      expect(response.body).toEqual({
        statusCode: response.status,
        error: expect.any(String),
        message: expect.any(String),
      });
    }
    expect(answers).toEqual(
      routes(messageId).map((route) => `${route.method} ${route.path} -> ${route.other}`),
    );
    expect(await snapshot()).toEqual(before);
    // Nova still has its message, its token, and its private memory hidden from others.
    expect(
      (await client.get('/v1/agents/nova/messages', token.nova)).body.items.map((m: { id: string }) => m.id),
    ).toEqual([messageId]);
    const seenByOther = await client.get('/v1/agents/nova/memories', token.dexter);
    expect(seenByOther.status).toBe(200);
    expect(seenByOther.body.items).toEqual([]);
    expect((await client.get('/v1/agents/nova/memories', token.nova)).body.items).toHaveLength(1);
  });

  it('answers 401 on every /v1 route without a token or with a bad one, and changes nothing', async () => {
    const before = await snapshot();
    for (const route of allRoutes(messageId)) {
      for (const bearer of [
        undefined,
        'garbage',
        `${token.nova}x`,
        'nova.',
        '.x',
        ADMIN_TOKEN.slice(0, -1),
      ]) {
        const response = await call(route, bearer);
        expect(`${route.method} ${route.path} ${String(bearer)} -> ${response.status}`).toBe(
          `${route.method} ${route.path} ${String(bearer)} -> 401`,
        );
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('lets the rightful agent and the admin through where another agent was refused', async () => {
    expect((await client.get('/v1/agents/nova/messages', token.nova)).status).toBe(200);
    expect((await client.get(`/v1/messages/${messageId}`, token.kai)).status).toBe(200);
    expect((await client.get(`/v1/messages/${messageId}`, token.nova)).status).toBe(200);
    expect((await client.get('/v1/conversations/nova/kai', token.kai)).status).toBe(200);
    expect((await client.get('/v1/agents/nova/history', ADMIN_TOKEN)).status).toBe(200);
  });

  it('stops a rotated token on every route at once', async () => {
    const old = token.nova;
    const rotated = await client.post('/v1/agents/nova/token', ADMIN_TOKEN);
    expect(rotated.status).toBe(200);
    token.nova = rotated.body.token;
    for (const route of allRoutes(messageId)) {
      expect(`${route.path} -> ${(await call(route, old)).status}`).toBe(`${route.path} -> 401`);
    }
    expect((await client.get('/v1/agents/nova/messages', token.nova)).status).toBe(200);
    expect((await client.post(`/v1/messages/${messageId}/ack`, token.nova, {})).status).toBe(200);
  });

  it("stops a deleted agent's token, and a token for one agent never opens another's routes", async () => {
    const ghostToken = await client.register(ADMIN_TOKEN, 'ghost');
    expect((await client.delete('/v1/agents/ghost', ADMIN_TOKEN)).status).toBe(204);
    expect((await client.get('/v1/agents', ghostToken)).status).toBe(401);
    // Re-registering the id issues a new token; the old one stays dead.
    await client.register(ADMIN_TOKEN, 'ghost');
    expect((await client.get('/v1/agents', ghostToken)).status).toBe(401);
    // A token whose id part names another agent is refused.
    const forged = `kai.${token.dexter.split('.')[1]}`;
    expect((await client.get('/v1/agents', forged)).status).toBe(401);
    expect((await client.get(`/v1/messages/${randomUUID()}`, token.dexter)).status).toBe(404);
  });
});
