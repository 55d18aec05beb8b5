import { BACKLOG_MEASURE_EVERY_MS } from '../../src/context-sync/context-sync.metrics';
import { sample } from '../support/prometheus-text';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

/** The contract's v1.1 "Metrics": ContextSync counters, latencies and per-agent gauges on /metrics. */
describe('ContextSync metrics on /metrics (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;
  const scrape = async () => (await fetch(`${client.url}/metrics`)).text();
  const messages = (body: string, agent: string, status: string) =>
    sample(body, `brain_contextsync_messages_total{agent="${agent}",status="${status}"}`);
  const publish = async (target: string) => {
    const response = await client.post('/v1/messages', token.nova, { targetAgent: target, context: {} });
    expect(response.status).toBe(201);
    return response.body.id as string;
  };

  beforeAll(async () => {
    // One delivery before the dead letters, and a short lease, so a dead letter happens within a test.
    brain = await startBrain('syncmetrics', {
      agents: ['nova', 'dexter'],
      env: { BRAIN_VISIBILITY_TIMEOUT_MS: '100', BRAIN_MAX_DELIVERIES: '1' },
    });
    ({ client, token } = brain);

    const acked = await publish('dexter');
    const dying = await publish('dexter');
    const lease = await client.get('/v1/agents/dexter/messages?consumer=c1&count=10', token.dexter);
    expect(lease.body.items.map((m: { id: string }) => m.id)).toEqual([acked, dying]);
    expect((await client.post(`/v1/messages/${acked}/ack`, token.dexter, {})).status).toBe(200);
    // `dying` was delivered once and never acknowledged: the next lease after its timeout buries it.
    await waitFor(async () => {
      await client.get('/v1/agents/dexter/messages?consumer=c1', token.dexter);
      const dead = await client.get('/v1/agents/dexter/dead-letters', token.dexter);
      return dead.body.items.some((m: { id: string }) => m.id === dying);
    }, 'the unacknowledged message to reach the dead letters');
    expect((await client.post('/v1/broadcasts', token.nova, { context: {} })).status).toBe(201);
    await publish('dexter'); // left pending
  });

  afterAll(() => brain?.close());

  it('counts messages by agent and status: the sender publishes, the recipient is delivered, acks, dead-letters', async () => {
    const body = await scrape();
    expect(body).toContain('# TYPE brain_contextsync_messages_total counter');
    expect(messages(body, 'nova', 'published')).toBe(4);
    expect(messages(body, 'dexter', 'delivered')).toBe(2);
    expect(messages(body, 'dexter', 'acknowledged')).toBe(1);
    expect(messages(body, 'dexter', 'dead_lettered')).toBe(1);
    // Nothing was counted for statuses that did not happen.
    expect(messages(body, 'nova', 'delivered')).toBeUndefined();
  });

  it('times each operation in a histogram', async () => {
    const body = await scrape();
    expect(body).toContain('# TYPE brain_contextsync_latency_seconds histogram');
    const count = (operation: string) =>
      sample(body, `brain_contextsync_latency_seconds_count{operation="${operation}"}`);
    expect(count('share')).toBe(3);
    expect(count('broadcast')).toBe(1);
    expect(count('ack')).toBe(1);
    expect(count('pending')).toBeGreaterThanOrEqual(2);
    expect(sample(body, 'brain_contextsync_latency_seconds_bucket{le="+Inf",operation="share"}')).toBe(3);
  });

  it('reports pending messages and dead letters per agent, measured at most every 5 s', async () => {
    const body = await scrape();
    // dexter: the direct message left pending and the broadcast; nova sent the broadcast, so nothing is pending.
    expect(sample(body, 'brain_contextsync_pending{agent="dexter"}')).toBe(2);
    expect(sample(body, 'brain_contextsync_pending{agent="nova"}')).toBe(0);
    expect(sample(body, 'brain_contextsync_dead_letters{agent="dexter"}')).toBe(1);
    expect(sample(body, 'brain_contextsync_dead_letters{agent="nova"}')).toBe(0);

    // A scrape right after a publish still shows the cached measurement: no Redis scan per scrape ...
    await publish('dexter');
    expect(sample(await scrape(), 'brain_contextsync_pending{agent="dexter"}')).toBe(2);
    // ... and the next measurement, at most 5 s later, sees it.
    await waitFor(
      async () => sample(await scrape(), 'brain_contextsync_pending{agent="dexter"}') === 3,
      'the pending gauge to be measured again',
      BACKLOG_MEASURE_EVERY_MS + 3000,
      250,
    );
  });

  it('drops the series of a deleted agent from the gauges', async () => {
    await client.register(ADMIN_TOKEN, 'kai');
    await waitFor(
      async () => sample(await scrape(), 'brain_contextsync_pending{agent="kai"}') === 0,
      'kai to appear in the pending gauge',
      BACKLOG_MEASURE_EVERY_MS + 3000,
      250,
    );
    expect((await client.delete('/v1/agents/kai', ADMIN_TOKEN)).status).toBe(204);
    await waitFor(
      async () => sample(await scrape(), 'brain_contextsync_pending{agent="kai"}') === undefined,
      'kai to leave the pending gauge',
      BACKLOG_MEASURE_EVERY_MS + 3000,
      250,
    );
  });

  it('exports Redis memory and the last readiness answer for the alerts', async () => {
    expect((await fetch(`${client.url}/health/ready`)).status).toBe(200);
    const body = await scrape();
    // One series per master: the Redis of REDIS_URL, or every master of REDIS_CLUSTER_NODES.
    const cluster = brain.environment.config.redis.clusterNodes;
    const redis = new URL(brain.environment.config.redis.url);
    const nodes = cluster
      ? cluster.map(({ host, port }) => `${host}:${port}`)
      : [`${redis.hostname}:${redis.port || '6379'}`];
    const masters = nodes.filter(
      (node) => sample(body, `brain_redis_memory_used_bytes{node="${node}"}`) !== undefined,
    );
    expect(masters.length).toBeGreaterThan(0);
    for (const node of masters) {
      expect(sample(body, `brain_redis_memory_used_bytes{node="${node}"}`)).toBeGreaterThan(0);
      expect(sample(body, `brain_redis_memory_max_bytes{node="${node}"}`)).toBeGreaterThanOrEqual(0);
    }
    expect(sample(body, 'brain_ready')).toBe(1);
    expect(sample(body, 'brain_archive_lag')).toBeGreaterThanOrEqual(0);
  });
});
