import { AgentNotFoundError } from '../../src/common/errors';
import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { newTestEnvironment, rawRedis, scanKeys, TestEnvironment } from '../support/test-environment';

/**
 * A lease takes from the direct and the broadcast mailbox (two slots) in one delivery order, priority first, then
 * age, and leases nothing it does not return; a read for an agent that is not registered changes nothing.
 */
describe('ContextSync lease across both mailboxes', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;

  beforeAll(async () => {
    environment = newTestEnvironment('leaseorder', { BRAIN_VISIBILITY_TIMEOUT_MS: '60000' });
    brain = await startContextSync(environment.config);
    for (const agent of ['nova', 'dexter']) await brain.contextSync.registerAgent(agent, `hash-${agent}`);
  });

  afterAll(async () => {
    await brain?.close();
    await environment?.dispose();
  });

  const sync = () => brain.contextSync;
  const ids = (messages: { id: string }[]) => messages.map((m) => m.id);

  it('leases in priority-then-age order across direct and broadcast, count at a time, nothing leased twice', async () => {
    // Ages are entry ids, in ms: two streams can give the same id within one ms, so the publishes are spaced.
    const spaced = () => new Promise((resolve) => setTimeout(resolve, 3));
    const direct = async (n: number, priority: 'high' | 'low') => {
      await spaced();
      const published = await sync().publishMessage({
        sourceAgent: 'nova',
        targetAgent: 'dexter',
        context: { n },
        priority,
      });
      return published.message.id;
    };
    const broadcast = async (n: number, priority: 'high' | 'low') => {
      await spaced();
      return (await sync().publishBroadcast({ sourceAgent: 'nova', context: { n }, priority })).message.id;
    };
    // Published one after the other: ages interleave across the two mailboxes within each priority.
    const d1 = await direct(1, 'low');
    const b1 = await broadcast(2, 'low');
    const d2 = await direct(3, 'high');
    const b2 = await broadcast(4, 'high');
    const d3 = await direct(5, 'high');
    const b3 = await broadcast(6, 'low');

    const first = await sync().getPendingMessages('dexter', { consumer: 'c1', count: 2 });
    expect(ids(first)).toEqual([d2, b2]);
    // Another consumer gets exactly what c1 was not handed: c1 holds only what it got.
    const second = await sync().getPendingMessages('dexter', { consumer: 'c2', count: 3 });
    expect(ids(second)).toEqual([d3, d1, b1]);
    expect(second.map((m) => m.toAgent)).toEqual(['dexter', 'dexter', 'broadcast']);
    const third = await sync().getPendingMessages('dexter', { consumer: 'c3', count: 10 });
    expect(ids(third)).toEqual([b3]);
    expect(await sync().getPendingMessages('dexter', { consumer: 'c4', count: 10 })).toEqual([]);
    // Everything leased once: each delivered one time, all still pending until acknowledged.
    expect([...first, ...second, ...third].map((m) => m.deliveryCount)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(ids(await sync().getPendingMessages('dexter', { count: 10 })).sort()).toEqual(
      [d1, d2, d3, b1, b2, b3].sort(),
    );
    expect(await sync().acknowledgeMany('dexter', [d1, d2, d3, b1, b2, b3])).toBe(6);
    expect(await sync().getPendingMessages('dexter', { count: 10 })).toEqual([]);
  });

  it('answers an unregistered agent not found, peek or lease, and creates nothing for it', async () => {
    // The broadcast streams exist (the test above): a read must not give the stranger a group on them.
    for (const query of [{}, { consumer: 'c1' }, { consumer: 'c1', waitMs: 50 }]) {
      await expect(sync().getPendingMessages('stranger', query)).rejects.toBeInstanceOf(AgentNotFoundError);
    }
    expect((await scanKeys(environment.config, `${environment.config.redis.prefix}:*stranger*`)).length).toBe(
      0,
    );
    const redis = rawRedis(environment.config);
    try {
      for (const priority of ['critical', 'high', 'medium', 'low']) {
        const stream = `${environment.config.redis.prefix}:{broadcast}:stream:${priority}`;
        if ((await redis.exists(stream)) === 0) continue;
        const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
        expect(groups.map((group) => group[1])).not.toContain('stranger');
      }
    } finally {
      redis.disconnect();
    }
  });
});
