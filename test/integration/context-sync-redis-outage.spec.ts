import { unavailableDependency } from '../../src/common/dependency-errors';
import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { RedisServer } from '../support/redis-server';
import { newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

/** ContextSync on a Redis this suite owns, so it can stop it: fail fast, write nothing half, recover by itself. */
describe('ContextSync while Redis is down', () => {
  let redis: RedisServer;
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: true, appendfsync: 'always' });
    environment = newTestEnvironment('redisdown', {
      REDIS_URL: redis.url,
      REDIS_CLUSTER_NODES: '', // this suite needs its own single Redis, also under test:cluster
      BRAIN_REDIS_COMMAND_TIMEOUT_MS: '500',
    });
    brain = await startContextSync(environment.config);
    for (const agent of ['nova', 'dexter']) await brain.contextSync.registerAgent(agent, `hash-${agent}`);
  });

  afterAll(async () => {
    await brain?.close();
    await environment?.dispose().catch(() => undefined);
    await redis?.dispose();
  });

  it('fails publish, pending and ack fast with a Redis error, then works again without a restart', async () => {
    const sync = brain.contextSync;
    const before = await sync.publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: { n: 'before' },
    });

    await redis.stop();
    for (const attempt of [
      () => sync.publishMessage({ sourceAgent: 'nova', targetAgent: 'dexter', context: { n: 'during' } }),
      () => sync.getPendingMessages('dexter'),
      () => sync.acknowledgeMessage(before.message.id, 'dexter'),
    ]) {
      const started = Date.now();
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeDefined();
      expect(unavailableDependency(error)).toBe('redis');
      expect(Date.now() - started).toBeLessThan(2000);
    }

    await redis.start();
    const pending = await waitFor(async () => {
      try {
        return await sync.getPendingMessages('dexter');
      } catch {
        return undefined;
      }
    }, 'ContextSync to work again after Redis came back');
    // What got a 201 survived (AOF always); what failed left nothing behind.
    expect(pending.map((m) => m.payload)).toEqual([{ n: 'before' }]);
    const after = await sync.publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: { n: 'after' },
    });
    expect((await sync.getPendingMessages('dexter')).map((m) => m.id)).toEqual([
      before.message.id,
      after.message.id,
    ]);
    await sync.acknowledgeMany('dexter', [before.message.id, after.message.id]);
    expect(await sync.getPendingMessages('dexter')).toEqual([]);
  });
});
