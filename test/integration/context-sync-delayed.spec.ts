import { Cluster, Redis } from 'ioredis';
import { DelayedDeliveryService } from '../../src/context-sync/delayed-delivery.service';
import { DelayedRepository } from '../../src/context-sync/delayed.repository';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { newTestEnvironment, rawRedis, TestEnvironment, waitFor } from '../support/test-environment';

/**
 * Delayed delivery does not depend on a request arriving nor on one replica: the queue lives in Redis, every
 * replica's scheduler moves due messages, and each due message is appended exactly once.
 */
describe('ContextSync delayed delivery across restarts and replicas', () => {
  let environment: TestEnvironment;
  let redis: Redis | Cluster;
  let keys: RedisKeys;
  const running: ContextSyncInstance[] = [];

  beforeAll(async () => {
    environment = newTestEnvironment('delayedrep', { BRAIN_VISIBILITY_TIMEOUT_MS: '60000' });
    redis = rawRedis(environment.config);
    keys = new RedisKeys(environment.config.redis.prefix);
    const first = await start();
    for (const agent of ['nova', 'dexter', 'kai'])
      await first.contextSync.registerAgent(agent, `hash-${agent}`);
    await stop(first);
  });

  afterAll(async () => {
    for (const instance of [...running]) await stop(instance);
    redis?.disconnect();
    await environment?.dispose();
  });

  async function start(): Promise<ContextSyncInstance> {
    const instance = await startContextSync(environment.config);
    running.push(instance);
    return instance;
  }

  async function stop(instance: ContextSyncInstance): Promise<void> {
    running.splice(running.indexOf(instance), 1);
    await instance.close();
  }

  /** Entries ever appended to the agent's direct streams (a duplicate append would show here). */
  async function appended(agent: string): Promise<number> {
    const lengths = await Promise.all(keys.agentMailbox(agent).streams.map((stream) => redis.xlen(stream)));
    return lengths.reduce((a, b) => a + b, 0);
  }

  /** Leases everything pending for the agent until `expected` distinct messages arrived; returns every id seen. */
  async function leaseAll(instance: ContextSyncInstance, agent: string, expected: number): Promise<string[]> {
    const seen: string[] = [];
    await waitFor(
      async () => {
        const batch = await instance.contextSync.getPendingMessages(agent, {
          consumer: 'counter',
          count: 1000,
        });
        seen.push(...batch.map((message) => message.id));
        return new Set(seen).size >= expected || undefined;
      },
      `${expected} delayed messages for ${agent}`,
      15000,
    );
    return seen;
  }

  it('a message due while no replica runs is delivered once by the next one to start', async () => {
    const before = await start();
    const { message } = await before.contextSync.publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: { survives: 'restart' },
      delayMs: 1000,
    });
    expect(message.deliverAt).toBe(new Date(Date.parse(message.timestamp) + 1000).toISOString());
    expect(await before.contextSync.getPendingMessages('dexter')).toEqual([]);
    await stop(before);
    const streamsBefore = await appended('dexter');
    // Due while nothing runs.
    await waitFor(
      () => Date.now() > Date.parse(message.deliverAt!) + 200 || undefined,
      'the message to be due',
    );
    expect(await appended('dexter')).toBe(streamsBefore);

    const after = await start();
    const seen = await leaseAll(after, 'dexter', 1);
    expect(seen).toEqual([message.id]);
    expect(await appended('dexter')).toBe(streamsBefore + 1);
    await after.contextSync.acknowledge(message.id, 'dexter');
    await stop(after);
  });

  it('two replicas on one Redis deliver each due message once', async () => {
    const [a, b] = [await start(), await start()];
    const streamsBefore = await appended('kai');
    const sent: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const replica = i % 2 === 0 ? a : b;
      const { message } = await replica.contextSync.publishMessage({
        sourceAgent: 'nova',
        targetAgent: 'kai',
        context: { i },
        delayMs: 300 + (i % 8) * 100,
      });
      sent.push(message.id);
    }
    const seen = await leaseAll(a, 'kai', sent.length);
    expect([...seen].sort()).toEqual([...sent].sort());
    // Every one appended exactly once, and nothing left waiting.
    expect(await appended('kai')).toBe(streamsBefore + sent.length);
    expect(await redis.zcard(keys.delayedQueue())).toBe(0);
    expect(await redis.hlen(keys.delayedItems())).toBe(0);
    expect(await b.contextSync.getPendingMessages('kai', { consumer: 'other', count: 1000 })).toEqual([]);
  });

  it('a due message taken again after its claim ran out (a replica died mid-way) is still appended once', async () => {
    const [a, b] = [await start(), await start()];
    const delayed = [a, b].map((replica) => replica.module.get(DelayedDeliveryService));
    // Their schedulers stop: this test drives delivery by hand.
    for (const service of delayed) service.onApplicationShutdown();
    const streamsBefore = await appended('dexter');
    const { message } = await a.contextSync.publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: { twice: true },
      delayMs: 50,
    });
    const due = Date.parse(message.deliverAt!);
    // Replica a publishes it, then dies before it could take it off the queue.
    const forget = jest.spyOn(a.module.get(DelayedRepository), 'done').mockResolvedValue(undefined);
    expect(await delayed[0].deliverDue(due + 10)).toBe(1);
    forget.mockRestore();
    // Its claim runs out; replica b takes it again: the publish is a no-op, the queue is emptied.
    expect(await delayed[1].deliverDue(due + 10_000)).toBe(0);
    expect(await appended('dexter')).toBe(streamsBefore + 1);
    expect(await redis.zcard(keys.delayedQueue())).toBe(0);
    const pending = await b.contextSync.getPendingMessages('dexter');
    expect(pending.map((m) => m.id)).toEqual([message.id]);
  });
});
