import { Cluster } from 'ioredis';
import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { newTestEnvironment, rawRedis, TestEnvironment } from '../support/test-environment';

/** Runs only under `npm run test:cluster` (REDIS_CLUSTER_NODES set): the key layout really spreads over shards. */
describe('key layout on a Redis Cluster', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;

  beforeAll(async () => {
    if (!process.env.REDIS_CLUSTER_NODES)
      throw new Error('this suite needs REDIS_CLUSTER_NODES (npm run test:cluster)');
    environment = newTestEnvironment('spread');
    brain = await startContextSync(environment.config);
  });

  afterAll(async () => {
    await brain?.close();
    await environment?.dispose();
  });

  it("spreads agents' keys over more than one master, each agent's keys on one slot", async () => {
    const agents = Array.from({ length: 24 }, (_, i) => `agent-${i}`);
    for (const agent of agents) await brain.contextSync.registerAgent(agent, `hash-${agent}`);
    await Promise.all(
      agents.map((agent) =>
        brain.contextSync.publishMessage({ sourceAgent: 'agent-0', targetAgent: agent, context: {} }),
      ),
    );

    const client = rawRedis(environment.config) as Cluster;
    try {
      await new Promise((resolve) =>
        client.status === 'ready' ? resolve(null) : client.once('ready', resolve),
      );
      const masters = client.nodes('master');
      expect(masters.length).toBe(3);
      const holders = await Promise.all(
        masters.map(
          async (node) =>
            (await node.scan('0', 'MATCH', `${environment.config.redis.prefix}:*`, 'COUNT', 10000))[1].length,
        ),
      );
      expect(holders.filter((count) => count > 0).length).toBeGreaterThan(1);

      for (const agent of agents.slice(0, 5)) {
        const slots = await Promise.all(
          ['stream:medium', 'ids', 'acked', 'cursor', 'meta'].map((suffix) =>
            client.cluster('KEYSLOT', `${environment.config.redis.prefix}:{agent:${agent}}:${suffix}`),
          ),
        );
        expect(new Set(slots).size).toBe(1);
      }
    } finally {
      client.disconnect();
    }
  });
});
