import { Cluster, Redis } from 'ioredis';
import { RedisLockService } from '../../src/infrastructure/redis/redis-lock.service';
import { newTestEnvironment, rawRedis, TestEnvironment, waitFor } from '../support/test-environment';

/** The mutex of cron jobs across replicas, against a real Redis (its release is a Lua script). */
describe('RedisLockService (integration)', () => {
  let environment: TestEnvironment;
  let redis: Redis | Cluster;
  let clients: (Redis | Cluster)[];
  let replicaA: RedisLockService;
  let replicaB: RedisLockService;
  let prefix: string;

  beforeAll(() => {
    environment = newTestEnvironment('lock');
    prefix = environment.config.redis.prefix;
    redis = rawRedis(environment.config);
    clients = [rawRedis(environment.config), rawRedis(environment.config)];
    [replicaA, replicaB] = clients.map((client) => new RedisLockService(client, environment.config));
  });

  afterAll(async () => {
    for (const client of clients ?? []) client.disconnect();
    redis?.disconnect();
    await environment?.dispose();
  });

  it('runs the work on one replica at a time, then releases the lock', async () => {
    const key = `${prefix}:{lock:retention}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = replicaA.runExclusively('retention', 10_000, async () => {
      expect(await redis.exists(key)).toBe(1);
      await held;
      return 'a';
    });
    await waitFor(async () => (await redis.exists(key)) === 1, 'replica A to take the lock');
    const work = jest.fn(() => Promise.resolve('b'));
    await expect(replicaB.runExclusively('retention', 10_000, work)).resolves.toBeUndefined();
    expect(work).not.toHaveBeenCalled();
    release();
    await expect(first).resolves.toEqual({ result: 'a' });
    expect(await redis.exists(key)).toBe(0);
    await expect(replicaB.runExclusively('retention', 10_000, work)).resolves.toEqual({ result: 'b' });
  });

  it('never releases a lock another replica took after its own expired', async () => {
    const key = `${prefix}:{lock:slow-job}`;
    const outcome = await replicaA.runExclusively('slow-job', 100, async () => {
      await waitFor(async () => (await redis.exists(key)) === 0, 'the lock to expire while A still works');
      // Replica B takes the free lock meanwhile (its token, as SET NX PX would leave it).
      expect(await redis.set(key, 'token-of-replica-b', 'PX', 10_000, 'NX')).toBe('OK');
      return 'a';
    });
    expect(outcome).toEqual({ result: 'a' });
    expect(await redis.get(key)).toBe('token-of-replica-b');
  });

  it('runs periodic work once per period across replicas', async () => {
    const work = jest.fn(() => Promise.resolve(1));
    const runs = await Promise.all([
      replicaA.runOncePerPeriod('hourly', 3_600_000, work),
      replicaB.runOncePerPeriod('hourly', 3_600_000, work),
    ]);
    expect(work).toHaveBeenCalledTimes(1);
    expect(runs.filter(Boolean)).toEqual([{ result: 1 }]);
  });

  it('refuses a lock name that would build a key outside the lock namespace', async () => {
    await expect(replicaA.runExclusively('evil}{agent:x', 1000, () => Promise.resolve(1))).rejects.toThrow(
      /invalid lock name/,
    );
  });
});
