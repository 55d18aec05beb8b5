import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RetentionJob } from '../../src/context-sync/retention.job';
import { MemoryRetentionJob } from '../../src/memory/memory-retention.job';
import { BrainClient } from '../e2e/brain-client';
import { startTestApp } from '../support/test-app';
import { ADMIN_TOKEN, newTestEnvironment, TestEnvironment } from '../support/test-environment';

/** Two replicas on one Redis Cluster and one Postgres (issue 8): one inbox, and the hourly jobs run once. */
describe('two replicas on a Redis Cluster', () => {
  let environment: TestEnvironment;
  const replicas: { app: NestFastifyApplication; client: BrainClient }[] = [];

  beforeAll(async () => {
    if (!process.env.REDIS_CLUSTER_NODES)
      throw new Error('this suite needs REDIS_CLUSTER_NODES (npm run test:cluster)');
    environment = newTestEnvironment('replicas', { BRAIN_VISIBILITY_TIMEOUT_MS: '60000' });
    for (let i = 0; i < 2; i++) {
      const { app, url } = await startTestApp(environment.config);
      replicas.push({ app, client: new BrainClient(url) });
    }
  });

  afterAll(async () => {
    for (const { app } of replicas) await app.close();
    await environment?.dispose();
  });

  it('lets a consumer fetch from replica 1 and acknowledge on replica 2, with one consistent inbox', async () => {
    const [one, two] = replicas.map((r) => r.client);
    const nova = await one.register(ADMIN_TOKEN, 'nova');
    const dexter = await two.register(ADMIN_TOKEN, 'dexter');
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      const replica = i % 2 === 0 ? one : two;
      const response = await replica.post('/v1/messages', nova, { targetAgent: 'dexter', context: { i } });
      expect(response.status).toBe(201);
      sent.push(response.body.id);
    }

    // Two consumers of dexter lease from different replicas: nothing is handed to both.
    const leasedByA = await one.get('/v1/agents/dexter/messages?consumer=a&count=25', dexter);
    const leasedByB = await two.get('/v1/agents/dexter/messages?consumer=b&count=25', dexter);
    const idsA = (leasedByA.body.items as { id: string }[]).map((m) => m.id);
    const idsB = (leasedByB.body.items as { id: string }[]).map((m) => m.id);
    expect(idsA).toHaveLength(25);
    expect(idsB).toHaveLength(15);
    expect(idsA.filter((id) => idsB.includes(id))).toEqual([]);
    expect(new Set([...idsA, ...idsB])).toEqual(new Set(sent));

    // Acknowledged on the other replica; both replicas then agree nothing is pending.
    expect((await two.post('/v1/agents/dexter/acks', dexter, { ids: idsA })).body).toEqual({
      acknowledged: 25,
    });
    expect((await one.post('/v1/agents/dexter/acks', dexter, { ids: idsB })).body).toEqual({
      acknowledged: 15,
    });
    for (const replica of [one, two]) {
      expect((await replica.get('/v1/agents/dexter/messages?count=100', dexter)).body.items).toEqual([]);
    }
    const status = await one.get(`/v1/messages/${sent[0]}`, nova);
    expect(status.body.status).toEqual({
      acknowledged: true,
      acknowledgedBy: ['dexter'],
      pendingFor: [],
      deadLetteredFor: [],
      expired: false,
    });
  });

  it('runs the hourly jobs once when both replicas are forced to run them at the same time', async () => {
    for (const Job of [RetentionJob, MemoryRetentionJob]) {
      let runs = 0;
      for (let round = 0; round < 10; round++) {
        const results = await Promise.all(
          replicas.map(({ app }) => app.get<RetentionJob | MemoryRetentionJob>(Job).runHourly()),
        );
        runs += results.filter(Boolean).length;
      }
      expect(runs).toBe(10);
    }
  });
});
