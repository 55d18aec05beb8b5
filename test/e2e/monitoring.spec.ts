import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

interface AgentStats {
  agentId: string;
  pending: Record<string, number>;
  pendingMessages: number;
}

describe('monitoring read routes for the dashboard (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('monitoring', { agents: ['nova', 'dexter', 'rex'] });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  it('GET /v1/stats/agents: pending per priority, acknowledged and dead letters of every agent, for the admin', async () => {
    const send = (priority: string) =>
      client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {}, priority });
    await send('critical');
    const acked = await send('high');
    await send('high');
    const ackedLater = await send('low');
    await send('low');
    // Acknowledged in order, without reading: the per-priority split is exact.
    await client.post(`/v1/messages/${acked.body.id as string}/ack`, token.dexter, {});
    await client.post('/v1/broadcasts', token.nova, { context: {}, priority: 'medium' });

    const response = await client.get('/v1/stats/agents', ADMIN_TOKEN);
    expect(response.status).toBe(200);
    const byId = Object.fromEntries(
      (response.body.items as AgentStats[]).map((item) => [item.agentId, item]),
    );
    expect(Object.keys(byId)).toEqual(['dexter', 'nova', 'rex']);
    expect(byId.dexter).toEqual({
      agentId: 'dexter',
      pending: { critical: 1, high: 1, medium: 1, low: 2 },
      pendingMessages: 5,
      acknowledgedMessages: 1,
      deadLetters: 0,
    });
    // The sender does not receive its own broadcast; rex receives it.
    expect(byId.nova.pendingMessages).toBe(0);
    expect(byId.rex.pending).toEqual({ critical: 0, high: 0, medium: 1, low: 0 });
    expect((await client.get('/v1/stats/agents', token.nova)).status).toBe(403);

    // Acknowledged out of order without being read: still counted at its own priority.
    await client.post(`/v1/messages/${ackedLater.body.id as string}/ack`, token.dexter, {});
    const after = await client.get('/v1/agents/dexter/stats', ADMIN_TOKEN);
    expect(after.body).toMatchObject({
      pending: { critical: 1, high: 1, medium: 1, low: 1 },
      pendingMessages: 4,
      acknowledgedMessages: 2,
    });
    // Reading past it in lease mode skips it without counting it twice.
    await client.get('/v1/agents/dexter/messages?consumer=c1&count=10', token.dexter);
    const read = await client.get('/v1/agents/dexter/stats', ADMIN_TOKEN);
    expect(read.body).toMatchObject({
      pending: { critical: 1, high: 1, medium: 1, low: 1 },
      pendingMessages: 4,
    });
    const stats = await client.get('/v1/stats', ADMIN_TOKEN);
    expect(read.body.pendingMessages).toBe(stats.body.pendingMessages - byId.rex.pendingMessages);
  });

  it('GET /v1/agents/{id}/stats: that agent or the admin; 404 for an unknown agent, 400 for a bad id', async () => {
    const own = await client.get('/v1/agents/rex/stats', token.rex);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ agentId: 'rex', pendingMessages: 1 });
    expect((await client.get('/v1/agents/rex/stats', ADMIN_TOKEN)).body).toEqual(own.body);
    expect((await client.get('/v1/agents/rex/stats', token.nova)).status).toBe(403);
    const unknown = await client.get('/v1/agents/zed/stats', ADMIN_TOKEN);
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain("'zed'");
    expect((await client.get('/v1/agents/Bad!/stats', ADMIN_TOKEN)).status).toBe(400);
  });

  it('GET /v1/stats/series: messages per second in 2 s steps, rising with traffic; admin only', async () => {
    const before = await client.get('/v1/stats/series', ADMIN_TOKEN);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ stepSeconds: 2, windowSeconds: 900 });
    for (let i = 0; i < 10; i += 1) {
      await client.post('/v1/messages', token.nova, { targetAgent: 'rex', context: { i } });
    }
    // Ten messages land in one or two steps; the rates of the steps after the burst sum to about 10 / 2 s.
    const series = await waitFor(
      async () => {
        const response = await client.get('/v1/stats/series', ADMIN_TOKEN);
        const items = response.body.items as { at: string; published: number; acknowledged: number }[];
        const published = items.reduce((total, item) => total + item.published * 2, 0);
        return published >= 10 && items;
      },
      'the series to show the ten messages',
      8000,
      200,
    );
    const times = series.map((item) => Date.parse(item.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(series.every((item) => item.published >= 0 && item.acknowledged >= 0)).toBe(true);
    expect((await client.get('/v1/stats/series', token.nova)).status).toBe(403);
  });
});
