import { MaintenanceService } from '../../src/context-sync/maintenance.service';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { newTestEnvironment, rawRedis, TestEnvironment, waitFor } from '../support/test-environment';

/**
 * A direct mailbox keeps its recipient's resolution of a message (ack time, dead-lettered, expired) as the third word
 * of the message's ids value, not in a hash of its own: the same answers as before, for messages acknowledged after
 * a lease (handed to the group) and before any (peek only).
 */
describe('ContextSync direct resolutions in the ids index', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;
  let keys: RedisKeys;
  let redis: ReturnType<typeof rawRedis>;

  beforeAll(async () => {
    environment = newTestEnvironment('directres', { BRAIN_STREAM_MAXLEN: '100' });
    brain = await startContextSync(environment.config);
    keys = new RedisKeys(environment.config.redis.prefix);
    redis = rawRedis(environment.config);
    for (const agent of ['nova', 'dexter', 'kai'])
      await brain.contextSync.registerAgent(agent, `hash-${agent}`);
  });

  afterAll(async () => {
    redis?.disconnect();
    await brain?.close();
    await environment?.dispose();
  });

  const sync = () => brain.contextSync;
  const send = async (n: number, to = 'dexter') =>
    (await sync().publishMessage({ sourceAgent: 'nova', targetAgent: to, context: { n } })).message.id;
  const pendingIds = async (agent = 'dexter') =>
    (await sync().getPendingMessages(agent, { count: 100 })).map((m) => m.id);
  const idsValue = (id: string, agent = 'dexter') => redis.hget(keys.agentMailbox(agent).ids, id);
  const formerAcked = (agent = 'dexter') => `${environment.config.redis.prefix}:{agent:${agent}}:acked`;

  it.each([
    ['after a lease (delivered to the group)', true],
    ['without a lease (peek only, never delivered)', false],
  ])(
    'an ack %s: status, peek, lease, ack again, nack, extend, requeue answer as acknowledged',
    async (_, leased) => {
      const id = await send(1);
      if (leased)
        expect((await sync().getPendingMessages('dexter', { consumer: 'w1' })).map((m) => m.id)).toEqual([
          id,
        ]);
      else expect(await pendingIds()).toEqual([id]);

      const first = await sync().acknowledgeMessage(id, 'dexter');
      const [p, entryId, atMs] = (await idsValue(id))!.split(' ');
      expect(Number(atMs)).toBe(Date.parse(first.acknowledgedAt));
      expect([p, entryId]).toEqual([expect.stringMatching(/^[0-3]$/), expect.stringMatching(/^\d+-\d+$/)]);
      expect(await redis.exists(formerAcked())).toBe(0);

      expect(await pendingIds()).toEqual([]);
      expect(await sync().getPendingMessages('dexter', { consumer: 'w2' })).toEqual([]);
      expect((await sync().getMessage(id)).status).toMatchObject({
        acknowledged: true,
        acknowledgedBy: ['dexter'],
        pendingFor: [],
      });
      expect(await sync().isAcknowledged(id)).toBe(true);
      // Again: the same answer, with the time of the first ack; the counter does not move.
      const acked = (await sync().getStats()).acknowledgedMessages;
      expect(await sync().acknowledgeMessage(id, 'dexter')).toEqual(first);
      expect(await sync().acknowledgeMany('dexter', [id])).toBe(1);
      expect((await sync().getStats()).acknowledgedMessages).toBe(acked);

      await expect(sync().nack(id, 'dexter')).rejects.toMatchObject({ status: 404 });
      await expect(sync().moveToDeadLetter(id, 'dexter', 'late')).rejects.toMatchObject({ status: 404 });
      await expect(sync().extendLease(id, 'dexter', 'w1', 60_000)).rejects.toMatchObject({ status: 404 });
      // Requeueing an acknowledged message is refused (409), whether it was ever a dead letter or not.
      await expect(sync().requeueDeadLetter('dexter', id)).rejects.toMatchObject({ status: 409 });
      expect(await sync().listDeadLetters('dexter')).toEqual([]);
    },
  );

  it('a dead letter acknowledged leaves the dead letters; requeueing it then is refused (409)', async () => {
    const id = await send(2);
    await sync().getPendingMessages('dexter', { consumer: 'w1' });
    await sync().moveToDeadLetter(id, 'dexter', 'cannot parse');
    expect((await idsValue(id))!.split(' ')[2]).toBe('d');
    expect((await sync().getMessage(id)).status).toMatchObject({
      deadLetteredFor: ['dexter'],
      pendingFor: [],
    });

    await sync().acknowledgeMessage(id, 'dexter');
    expect(await sync().listDeadLetters('dexter')).toEqual([]);
    expect((await sync().getMessage(id)).status).toMatchObject({
      acknowledgedBy: ['dexter'],
      deadLetteredFor: [],
    });
    await expect(sync().requeueDeadLetter('dexter', id)).rejects.toMatchObject({ status: 409 });
  });

  it('a requeued dead letter is unresolved again at its new entry, then acknowledged there', async () => {
    const id = await send(3);
    await sync().getPendingMessages('dexter', { consumer: 'w1' });
    await sync().moveToDeadLetter(id, 'dexter', 'later');
    const deadAt = (await idsValue(id))!.split(' ');
    expect(deadAt[2]).toBe('d');
    await sync().requeueDeadLetter('dexter', id);
    const requeued = (await idsValue(id))!.split(' ');
    expect(requeued).toHaveLength(2);
    expect(requeued[1]).not.toBe(deadAt[1]);
    expect(await pendingIds()).toEqual([id]);
    expect((await sync().getPendingMessages('dexter', { consumer: 'w1' })).map((m) => m.id)).toEqual([id]);
    await sync().acknowledgeMessage(id, 'dexter');
    expect(await pendingIds()).toEqual([]);
    expect((await sync().getMessage(id)).status).toMatchObject({ acknowledgedBy: ['dexter'] });
  });

  it('a dead letter that was never read, requeued, is pending once: its first entry is not offered again', async () => {
    const id = await send(4);
    expect(await pendingIds()).toEqual([id]);
    await sync().moveToDeadLetter(id, 'dexter', 'unread');
    expect(await pendingIds()).toEqual([]);
    await sync().requeueDeadLetter('dexter', id);
    expect(await pendingIds()).toEqual([id]);
    expect((await sync().getStats()).pendingMessages).toBe(1);
    expect(
      (await sync().getPendingMessages('dexter', { consumer: 'w1', count: 100 })).map((m) => m.id),
    ).toEqual([id]);
    expect(await sync().getPendingMessages('dexter', { consumer: 'w2', count: 100 })).toEqual([]);
    await sync().acknowledgeMessage(id, 'dexter');
    expect(await pendingIds()).toEqual([]);
    expect((await sync().getStats()).pendingMessages).toBe(0);
  });

  it('trimming by length drops resolutions with their ids and keeps the pending count exact', async () => {
    // kai: 105 messages; 3 acknowledged after a lease, 4 before being read, the rest pending.
    const sent: string[] = [];
    for (let n = 0; n < 105; n++) sent.push(await send(n, 'kai'));
    const leased = await sync().getPendingMessages('kai', { consumer: 'w1', count: 3 });
    expect(leased.map((m) => m.id)).toEqual(sent.slice(0, 3));
    await sync().acknowledgeMany('kai', sent.slice(0, 7));
    await waitFor(async () => (await sync().getStats()).archiveLag === 0, 'everything archived');
    const pendingBefore = (await sync().getAgentStats('kai')).pendingMessages;
    expect(pendingBefore).toBe(98);

    // Over the limit of 100 by 5: the 5 oldest go (all resolved); the other two resolved ones stay resolved.
    expect(await sync().cleanupOldMessages()).toBe(5);
    for (const id of sent.slice(0, 5)) expect(await idsValue(id, 'kai')).toBeNull();
    for (const id of sent.slice(5, 7)) expect((await idsValue(id, 'kai'))!.split(' ')).toHaveLength(3);
    expect((await sync().getAgentStats('kai')).pendingMessages).toBe(98);
    expect(await pendingIds('kai')).toEqual(sent.slice(7));
    expect((await sync().getPendingMessages('kai', { consumer: 'w1', count: 100 })).map((m) => m.id)).toEqual(
      sent.slice(7),
    );
    await sync().acknowledgeMany('kai', sent.slice(7));
    expect((await sync().getAgentStats('kai')).pendingMessages).toBe(0);
  });

  it('folds the acked hash a direct mailbox had before into its ids values at start (newer states win)', async () => {
    const [old, dead, newer] = [await send(20), await send(21), await send(22)];
    // An id the ids index no longer has (trimmed: its location and resolution went together).
    const gone = '00000000-0000-8000-8000-000000000000';
    await sync().acknowledgeMessage(newer, 'dexter');
    const newerValue = await idsValue(newer);
    // What Brain wrote before resolutions moved: one hash entry per message, ack ms or a sentinel.
    await redis.hset(formerAcked(), old, '1700000000000', dead, 'd', newer, 'd', gone, '1700000000001');

    await brain.module.get(MaintenanceService).onApplicationBootstrap();
    expect(await redis.exists(formerAcked())).toBe(0);
    expect((await idsValue(old))!.split(' ')[2]).toBe('1700000000000');
    expect((await idsValue(dead))!.split(' ')[2]).toBe('d');
    expect(await idsValue(newer)).toBe(newerValue);
    expect(await idsValue(gone)).toBeNull();
    expect(await pendingIds()).toEqual([]);
    expect(await sync().acknowledgeMessage(old, 'dexter')).toMatchObject({
      acknowledgedAt: new Date(1700000000000).toISOString(),
    });
    // Twice is nothing more.
    await brain.module.get(MaintenanceService).onApplicationBootstrap();
    expect((await idsValue(old))!.split(' ')[2]).toBe('1700000000000');
    await sync().acknowledgeMessage(dead, 'dexter');
  });
});
