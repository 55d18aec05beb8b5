import { Cluster, Redis } from 'ioredis';
import { InvalidRequestError, LeaseHeldByOtherError, LeaseNotHeldError } from '../../src/common/errors';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { newTestEnvironment, rawRedis, TestEnvironment, waitFor } from '../support/test-environment';

/** TTL and lease extension through the in-process API, and what they leave in Redis. */
describe('ContextSync TTL and lease extension (in process)', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;
  let redis: Redis | Cluster;
  let keys: RedisKeys;

  beforeAll(async () => {
    environment = newTestEnvironment('ttllease', { BRAIN_VISIBILITY_TIMEOUT_MS: '300' });
    brain = await startContextSync(environment.config);
    for (const agent of ['nova', 'dexter']) await brain.contextSync.registerAgent(agent, `hash-${agent}`);
    redis = rawRedis(environment.config);
    keys = new RedisKeys(environment.config.redis.prefix);
  });

  afterAll(async () => {
    redis?.disconnect();
    await brain?.close();
    await environment?.dispose();
  });

  const sync = () => brain.contextSync;
  const entryFields = async (id: string) => {
    const [p, entryId] = (await redis.hget(keys.agentMailbox('dexter').ids, id))!.split(' ');
    const [[, flat]] = await redis.xrange(keys.agentMailbox('dexter').streams[Number(p)], entryId, entryId);
    return flat.filter((_, i) => i % 2 === 0);
  };

  it('stores an expiry only on a message with a TTL, and refuses one beyond the retention', async () => {
    const plain = await sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'dexter', context: {} });
    const timed = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: {},
      ttlSeconds: 60,
    });
    expect(plain.message.expiresAt).toBeNull();
    expect(Date.parse(timed.message.expiresAt!) - Date.parse(timed.message.timestamp)).toBe(60_000);
    expect(await entryFields(plain.message.id)).toEqual(['m', 'f', 'ty', 'p', 'ts', 'to']);
    expect(await entryFields(timed.message.id)).toEqual(['m', 'f', 'ty', 'p', 'ts', 'to', 'ex']);
    const max = environment.config.messages.retentionMs / 1000;
    await expect(
      sync().publishBroadcast({ sourceAgent: 'nova', context: {}, ttlSeconds: max + 1 }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    await sync().acknowledgeMany('dexter', [plain.message.id, timed.message.id]);
  });

  it('keeps an extended lease in a zset that the next lease read empties once it ran out', async () => {
    const { message } = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: {},
    });
    expect((await sync().getPendingMessages('dexter', { consumer: 'a' })).map((m) => m.id)).toEqual([
      message.id,
    ]);
    await expect(sync().extendLease(message.id, 'dexter', 'b', 1000)).rejects.toBeInstanceOf(
      LeaseHeldByOtherError,
    );
    const lease = await sync().extendLease(message.id, 'dexter', 'a', 1000);
    expect(lease).toMatchObject({ id: message.id, consumer: 'a' });
    const leases = keys.agentMailbox('dexter').leases;
    expect(await redis.zcard(leases)).toBe(1);

    const again = await waitFor(async () => {
      const items = await sync().getPendingMessages('dexter', { consumer: 'b' });
      return items.find((m) => m.id === message.id);
    }, 'the message after leasedUntil');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(lease.leasedUntil));
    expect(again.deliveryCount).toBe(2);
    expect(await redis.zcard(leases)).toBe(0);
    await expect(sync().extendLease(message.id, 'dexter', 'a', 1000)).rejects.toBeInstanceOf(
      LeaseHeldByOtherError,
    );
    await sync().acknowledge(message.id, 'dexter');
    await expect(sync().extendLease(message.id, 'dexter', 'b', 1000)).rejects.toBeInstanceOf(
      LeaseNotHeldError,
    );
  });
});
