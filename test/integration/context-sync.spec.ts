import { randomUUID } from 'node:crypto';
import { ContextMessage } from '../../src/context-sync/context-message';
import { MemoryRetentionJob } from '../../src/memory/memory-retention.job';
import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import {
  newTestEnvironment,
  rawRedis,
  scanKeys,
  TestEnvironment,
  waitFor,
} from '../support/test-environment';

describe('ContextSync on real Redis and Postgres', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;

  beforeAll(async () => {
    environment = newTestEnvironment('ctxsync', {
      BRAIN_VISIBILITY_TIMEOUT_MS: '300',
      BRAIN_MAX_DELIVERIES: '3',
    });
    brain = await startContextSync(environment.config);
    for (const agent of ['nova', 'dexter', 'omni', 'kai'])
      await brain.contextSync.registerAgent(agent, `hash-${agent}`);
  });

  afterAll(async () => {
    await brain?.close();
    await environment?.dispose();
  });

  const sync = () => brain.contextSync;
  const ids = (messages: ContextMessage[]) => messages.map((m) => m.id);

  it('shares, lists as pending, acknowledges, and then no longer lists it', async () => {
    const { message, created } = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: { query: 'sales data' },
    });
    expect(created).toBe(true);
    expect(message).toMatchObject({
      fromAgent: 'nova',
      toAgent: 'dexter',
      priority: 'medium',
      type: null,
      deliveryCount: 0,
    });

    const pending = await sync().getPendingMessages('dexter', { count: 10 });
    expect(ids(pending)).toEqual([message.id]);
    expect(pending[0].payload).toEqual({ query: 'sales data' });
    // Peek changes nothing: the same message comes back.
    expect(ids(await sync().getPendingMessages('dexter'))).toEqual([message.id]);
    expect(await sync().isAcknowledged(message.id)).toBe(false);

    const ack = await sync().acknowledgeMessage(message.id, 'dexter');
    expect(ack).toMatchObject({ id: message.id, agentId: 'dexter', acknowledged: true });
    expect(await sync().getPendingMessages('dexter')).toEqual([]);
    expect(await sync().isAcknowledged(message.id)).toBe(true);
    // Acknowledging again answers as before.
    expect(await sync().acknowledgeMessage(message.id, 'dexter')).toEqual(ack);
  });

  it('refuses unknown recipients and acknowledgements by non-recipients', async () => {
    await expect(
      sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'zed', context: {} }),
    ).rejects.toThrow("agent 'zed' is not registered");
    const { message } = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: {},
    });
    await expect(sync().acknowledgeMessage(message.id, 'kai')).rejects.toMatchObject({ status: 404 });
    await expect(sync().acknowledgeMessage(randomUUID(), 'dexter')).rejects.toMatchObject({ status: 404 });
    await sync().acknowledgeMessage(message.id, 'dexter');
  });

  it("refuses a type REST would refuse (too long, NUL, unpaired surrogate) with REST's message, publishing nothing", async () => {
    const cases: [string, string][] = [
      ['x'.repeat(65), 'type must be a string of at most 64 characters'],
      ['a\u0000b', 'type must not contain NUL or unpaired surrogate characters'],
      ['x\ud800', 'type must not contain NUL or unpaired surrogate characters'],
    ];
    for (const [type, message] of cases) {
      const publish = sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'kai', context: {}, type });
      await expect(publish).rejects.toMatchObject({ status: 400, message });
      await expect(sync().broadcast({ sourceAgent: 'nova', context: {}, type })).rejects.toMatchObject({
        status: 400,
        message,
      });
    }
    expect(await sync().getPendingMessages('kai')).toEqual([]);
    const { message } = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'kai',
      context: {},
      type: 'x'.repeat(64),
    });
    expect(message.type).toBe('x'.repeat(64));
    await sync().acknowledgeMessage(message.id, 'kai');
  });

  it('is idempotent on the message id, and refuses an id reused for another message', async () => {
    const id = randomUUID();
    const first = await sync().publishMessage({
      id,
      sourceAgent: 'nova',
      targetAgent: 'kai',
      context: { n: 1, m: 2 },
    });
    // A retry: the same message again (key order does not make it another message).
    const again = await sync().publishMessage({
      id,
      sourceAgent: 'nova',
      targetAgent: 'kai',
      context: { m: 2, n: 1 },
    });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.message).toEqual(first.message);
    expect(ids(await sync().getPendingMessages('kai'))).toEqual([id]);
    // The same id for another message: another recipient, another payload, priority or type.
    await expect(
      sync().publishMessage({ id, sourceAgent: 'nova', targetAgent: 'dexter', context: {} }),
    ).rejects.toMatchObject({ status: 409 });
    for (const change of [{ context: { n: 2, m: 2 } }, { priority: 'high' as const }, { type: 'other' }]) {
      await expect(
        sync().publishMessage({
          id,
          sourceAgent: 'nova',
          targetAgent: 'kai',
          context: { n: 1, m: 2 },
          ...change,
        }),
      ).rejects.toMatchObject({ status: 409 });
    }
    expect(ids(await sync().getPendingMessages('kai'))).toEqual([id]);
    await sync().acknowledgeMessage(id, 'kai');
  });

  it('keeps the ids Brain chooses unique without a claim key: a reuse for another target is 409, a retry 200', async () => {
    const first = await sync().publishMessage({ sourceAgent: 'omni', targetAgent: 'kai', context: { n: 1 } });
    const { id } = first.message;
    const prefix = environment.config.redis.prefix;
    expect(await scanKeys(environment.config, `${prefix}:{msg:*`)).not.toContainEqual(
      expect.stringContaining(id),
    );
    // Found by id (status), without a claim.
    expect((await sync().getMessage(id)).status).toMatchObject({ pendingFor: ['kai'] });
    await expect(
      sync().publishMessage({ id, sourceAgent: 'omni', targetAgent: 'dexter', context: { n: 1 } }),
    ).rejects.toMatchObject({ status: 409 });
    await expect(
      sync().publishBroadcast({ id, sourceAgent: 'omni', context: { n: 1 } }),
    ).rejects.toMatchObject({ status: 409 });
    const again = await sync().publishMessage({
      id,
      sourceAgent: 'omni',
      targetAgent: 'kai',
      context: { n: 1 },
    });
    expect(again).toEqual({ created: false, message: first.message });
    // The 409 left no claim behind: the id stays the original's, and the original is still found.
    expect((await sync().getMessage(id)).message.toAgent).toBe('kai');
    await sync().acknowledgeMessage(id, 'kai');

    // Once Redis no longer holds it (trimmed after archiving), the archive still refuses the id for another target.
    const gone = await sync().publishMessage({
      sourceAgent: 'omni',
      targetAgent: 'dexter',
      context: { n: 2 },
    });
    await waitFor(async () => (await sync().getStats()).archiveLag === 0, 'archive lag 0');
    const redis = rawRedis(environment.config);
    const index = `${prefix}:{agent:dexter}:ids`;
    const location = await redis.hget(index, gone.message.id);
    try {
      await redis.hdel(index, gone.message.id);
      await expect(
        sync().publishMessage({
          id: gone.message.id,
          sourceAgent: 'omni',
          targetAgent: 'kai',
          context: { n: 2 },
        }),
      ).rejects.toMatchObject({ status: 409 });
    } finally {
      await redis.hset(index, gone.message.id, location!);
      redis.disconnect();
    }
    await sync().acknowledgeMessage(gone.message.id, 'dexter');
  });

  it('delivers critical before high, medium and low, oldest first within a priority (the seed note example)', async () => {
    const low = await sync().publishMessage({
      sourceAgent: 'dexter',
      targetAgent: 'nova',
      context: { n: 'low' },
      priority: 'low',
    });
    const medium1 = await sync().publishMessage({
      sourceAgent: 'dexter',
      targetAgent: 'nova',
      context: { n: 'm1' },
    });
    const critical = await sync().publishBroadcast({
      sourceAgent: 'omni',
      context: { type: 'system_alert', message: 'API rate limit at 90%' },
      priority: 'critical',
    });
    const medium2 = await sync().publishMessage({
      sourceAgent: 'kai',
      targetAgent: 'nova',
      context: { n: 'm2' },
      type: 'sales_data',
    });
    const high = await sync().publishMessage({
      sourceAgent: 'kai',
      targetAgent: 'nova',
      context: { n: 'high' },
      priority: 'high',
    });

    const pending = await sync().getPendingMessages('nova', { count: 10 });
    expect(ids(pending)).toEqual([
      critical.message.id,
      high.message.id,
      medium1.message.id,
      medium2.message.id,
      low.message.id,
    ]);
    expect(pending[0].toAgent).toBe('broadcast');
    expect(pending[3].type).toBe('sales_data');
    expect(ids(await sync().getPendingMessages('nova', { priority: 'medium' }))).toEqual([
      medium1.message.id,
      medium2.message.id,
    ]);
    expect(ids(await sync().getPendingMessages('nova', { count: 2 }))).toEqual([
      critical.message.id,
      high.message.id,
    ]);

    expect(await sync().acknowledgeMany('nova', ids(pending))).toBe(5);
    expect(await sync().getPendingMessages('nova')).toEqual([]);
    // dexter and kai still have the broadcast; omni, its sender, does not.
    expect(ids(await sync().getPendingMessages('dexter'))).toContain(critical.message.id);
    expect(ids(await sync().getPendingMessages('omni'))).not.toContain(critical.message.id);
  });

  it('broadcasts to every registered agent but the sender and not to agents registered later', async () => {
    const { message } = await sync().publishBroadcast({
      sourceAgent: 'omni',
      context: { alert: 'deploy' },
      priority: 'high',
    });
    await sync().registerAgent('latecomer', 'hash-late');
    for (const agent of ['nova', 'dexter', 'kai'])
      expect(ids(await sync().getPendingMessages(agent))).toContain(message.id);
    expect(ids(await sync().getPendingMessages('omni'))).not.toContain(message.id);
    expect(ids(await sync().getPendingMessages('latecomer'))).not.toContain(message.id);

    await sync().acknowledgeMessage(message.id, 'nova');
    expect(ids(await sync().getPendingMessages('nova'))).not.toContain(message.id);
    expect(ids(await sync().getPendingMessages('dexter'))).toContain(message.id);
    const { status, recipients } = await sync().getMessage(message.id);
    expect(recipients).toEqual(['dexter', 'kai', 'nova']);
    expect(status).toEqual({
      acknowledged: false,
      acknowledgedBy: ['nova'],
      pendingFor: ['dexter', 'kai'],
      deadLetteredFor: [],
      expired: false,
    });
    await expect(sync().acknowledgeMessage(message.id, 'latecomer')).rejects.toMatchObject({ status: 404 });
    await expect(sync().acknowledgeMessage(message.id, 'omni')).rejects.toMatchObject({ status: 404 });

    await sync().acknowledgeMany('dexter', [message.id]);
    await sync().acknowledgeMany('kai', [message.id]);
    expect(await sync().isAcknowledged(message.id)).toBe(true);
    // Leave dexter's and kai's inboxes empty for the tests below.
    for (const agent of ['dexter', 'kai']) {
      const rest = await sync().getPendingMessages(agent, { count: 1000 });
      if (rest.length) await sync().acknowledgeMany(agent, ids(rest));
    }
  });

  it('shares 1,000 messages between two consumers with no message leased twice, and recovers a dead consumer', async () => {
    await sync().registerAgent('worker', 'hash-worker');
    const published = new Set<string>();
    for (let i = 0; i < 1000; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'worker', context: { i: i + j } }),
        ),
      );
      batch.forEach(({ message }) => published.add(message.id));
    }

    const seenBy = new Map<string, string>();
    // consumer "a" takes one batch and dies without acknowledging it.
    const leasedAt = Date.now();
    const lost = await sync().getPendingMessages('worker', { consumer: 'a', count: 50 });
    expect(lost).toHaveLength(50);
    lost.forEach((m) => seenBy.set(m.id, 'a'));

    // consumer "b" works through everything; it gets none of a's messages while a's lease is live, and gets them
    // (delivered for the second time) once the visibility timeout has passed.
    const recovered: ContextMessage[] = [];
    await waitFor(
      async () => {
        const batch = await sync().getPendingMessages('worker', { consumer: 'b', count: 100 });
        for (const message of batch) {
          const before = seenBy.get(message.id);
          expect(before).not.toBe('b');
          if (before === 'a') {
            expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(300);
            recovered.push(message);
          }
          seenBy.set(message.id, 'b');
        }
        if (batch.length) await sync().acknowledgeMany('worker', ids(batch));
        return recovered.length === lost.length;
      },
      "the dead consumer's messages to come back",
      20000,
      20,
    );
    expect(new Set(ids(recovered))).toEqual(new Set(ids(lost)));
    expect(recovered.every((m) => m.deliveryCount === 2)).toBe(true);
    for (;;) {
      const rest = await sync().getPendingMessages('worker', { consumer: 'b', count: 100 });
      if (rest.length === 0) break;
      rest.forEach((m) => {
        expect(seenBy.has(m.id)).toBe(false);
        seenBy.set(m.id, 'b');
      });
      await sync().acknowledgeMany('worker', ids(rest));
    }

    expect(seenBy.size).toBe(1000);
    expect([...published].every((id) => seenBy.has(id))).toBe(true);
    expect(await sync().getPendingMessages('worker', { count: 1000 })).toEqual([]);
  });

  it('moves a message never acknowledged to the dead letters after exactly BRAIN_MAX_DELIVERIES, once, and requeues it', async () => {
    await sync().registerAgent('flaky', 'hash-flaky');
    const { message } = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'flaky',
      context: { poison: true },
    });
    const deliveries: number[] = [];
    await waitFor(
      async () => {
        const batch = await sync().getPendingMessages('flaky', { consumer: 'c1' });
        deliveries.push(...batch.map((m) => m.deliveryCount));
        return (await sync().listDeadLetters('flaky')).length > 0;
      },
      'the poison message to be dead-lettered',
      15000,
      50,
    );
    expect(deliveries).toEqual([1, 2, 3]);
    const dead = await sync().listDeadLetters('flaky');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id: message.id, reason: 'max_deliveries', deliveryCount: 3 });
    expect(await sync().getPendingMessages('flaky')).toEqual([]);

    const requeued = await sync().requeueDeadLetter('flaky', message.id);
    expect(requeued).toMatchObject({ id: message.id, deliveryCount: 0, payload: { poison: true } });
    expect(await sync().listDeadLetters('flaky')).toEqual([]);
    const again = await sync().getPendingMessages('flaky', { consumer: 'c2' });
    expect(again.map((m) => [m.id, m.deliveryCount])).toEqual([[message.id, 1]]);
    await sync().acknowledgeMessage(message.id, 'flaky');
    // Acknowledged: a requeue would deliver it again (contract v1.1, "Consumers").
    await expect(sync().requeueDeadLetter('flaky', message.id)).rejects.toMatchObject({ status: 409 });
  });

  it('keeps priority order with 10,000 low messages queued before one critical', async () => {
    await sync().registerAgent('busy', 'hash-busy');
    for (let i = 0; i < 10000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, () =>
          sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'busy', context: {}, priority: 'low' }),
        ),
      );
    }
    const critical = await sync().publishMessage({
      sourceAgent: 'kai',
      targetAgent: 'busy',
      context: { urgent: true },
      priority: 'critical',
    });
    const peeked = await sync().getPendingMessages('busy', { count: 5 });
    expect(peeked[0].id).toBe(critical.message.id);
    expect(peeked.slice(1).every((m) => m.priority === 'low')).toBe(true);
    const leased = await sync().getPendingMessages('busy', { count: 1, consumer: 'x' });
    expect(ids(leased)).toEqual([critical.message.id]);
  });

  it('answers a long poll as soon as a direct message or a broadcast arrives', async () => {
    await sync().registerAgent('sleepy', 'hash-sleepy');
    const started = Date.now();
    const waiting = sync().getPendingMessages('sleepy', { waitMs: 10000 });
    setTimeout(
      () => void sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'sleepy', context: { wake: 1 } }),
      200,
    );
    const woke = await waiting;
    expect(woke).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000);
    await sync().acknowledgeMessage(woke[0].id, 'sleepy');

    const waitingForBroadcast = sync().getPendingMessages('sleepy', { waitMs: 10000, consumer: 'w' });
    setTimeout(() => void sync().publishBroadcast({ sourceAgent: 'omni', context: { wake: 2 } }), 200);
    const broadcast = await waitingForBroadcast;
    expect(broadcast.map((m) => m.toAgent)).toEqual(['broadcast']);

    const quiet = Date.now();
    expect(await sync().getPendingMessages('sleepy', { waitMs: 300, priority: 'critical' })).toEqual([]);
    expect(Date.now() - quiet).toBeGreaterThanOrEqual(290);
  });

  it('archives every message to Postgres exactly once', async () => {
    await sync().registerAgent('archivist', 'hash-archivist');
    const sent = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'archivist', context: { i } }),
      ),
    );
    await waitFor(async () => {
      const found = await Promise.all(
        sent.map(({ message }) => brain.memory.findArchivedMessage(message.id)),
      );
      return found.every(Boolean);
    }, 'all messages in Postgres');
    const { message } = sent[0];
    await sync().acknowledgeMessage(message.id, 'archivist');
    await waitFor(
      async () => ((await brain.memory.findArchivedMessage(message.id))?.acks.length ?? 0) === 1,
      'the ack in Postgres',
    );
    await waitFor(async () => (await sync().getStats()).archiveLag === 0, 'archive lag 0');
  });

  it('reports stats from counters', async () => {
    await sync().registerAgent('counted', 'hash-counted');
    const before = await sync().getStats();
    const a = await sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'counted', context: {} });
    await sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'counted', context: {} });
    await sync().acknowledgeMessage(a.message.id, 'counted');
    const after = await sync().getStats();
    expect(after.streamsByAgent.counted).toBe(2);
    expect(after.pendingMessages - before.pendingMessages).toBe(1);
    expect(after.acknowledgedMessages - before.acknowledgedMessages).toBe(1);
    expect(after.totalMessages - before.totalMessages).toBe(2);
  });

  it('trims only what the retention allows, once when two instances run the hourly job together', async () => {
    const second = await startContextSync(environment.config);
    try {
      await sync().registerAgent('old', 'hash-old');
      const kept = await sync().publishMessage({
        sourceAgent: 'nova',
        targetAgent: 'old',
        context: { keep: true },
      });
      await waitFor(async () => (await sync().getStats()).archiveLag === 0, 'archive lag 0');
      // Nothing is older than the retention: nothing goes.
      expect(await sync().cleanupOldMessages()).toBe(0);
      expect(ids(await sync().getPendingMessages('old'))).toEqual([kept.message.id]);

      // Forced on both instances at once, ten times: the work is done ten times, not twenty.
      let streamRuns = 0;
      let memoryRuns = 0;
      for (let round = 0; round < 10; round++) {
        const [streams, memories] = await Promise.all([
          Promise.all([brain.retention.runHourly(), second.retention.runHourly()]),
          Promise.all([
            brain.module.get(MemoryRetentionJob).runHourly(),
            second.module.get(MemoryRetentionJob).runHourly(),
          ]),
        ]);
        streamRuns += streams.filter(Boolean).length;
        memoryRuns += memories.filter(Boolean).length;
      }
      expect(streamRuns).toBe(10);
      expect(memoryRuns).toBe(10);

      // On schedule, the job runs once per hour: a replica whose timer fires later in the hour skips it.
      expect(await brain.retention.scheduled()).toBeDefined();
      expect(await second.retention.scheduled()).toBeUndefined();
      expect(await brain.retention.scheduled()).toBeUndefined();
      // Pretend a day and an hour went by: archived entries older than the retention go.
      const removed = await sync().cleanupOldMessages(Date.now() + 25 * 3600 * 1000);
      expect(removed).toBeGreaterThan(0);
      expect(await sync().getPendingMessages('old')).toEqual([]);
      expect(await brain.memory.findArchivedMessage(kept.message.id)).not.toBeNull();
    } finally {
      await second.close();
    }
  });

  it('recovers when a stream is deleted under it (NOGROUP) instead of failing every read', async () => {
    await sync().registerAgent('fragile', 'hash-fragile');
    const redis = rawRedis(environment.config);
    try {
      await redis.del(`${environment.config.redis.prefix}:{agent:fragile}:stream:medium`);
    } finally {
      redis.disconnect();
    }
    const { message } = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'fragile',
      context: { after: 'delete' },
    });
    expect(ids(await sync().getPendingMessages('fragile'))).toEqual([message.id]);
    expect(ids(await sync().getPendingMessages('fragile', { consumer: 'f1' }))).toEqual([message.id]);
    await sync().acknowledgeMessage(message.id, 'fragile');
    expect(await sync().getPendingMessages('fragile', { consumer: 'f1' })).toEqual([]);
    await waitFor(
      async () => (await brain.memory.findArchivedMessage(message.id)) !== null,
      'the message archived',
    );
  });

  it('clear removes every key of this Brain and nothing else', async () => {
    const redis = rawRedis(environment.config);
    const foreign = `foreign-${randomUUID()}`;
    await redis.set(foreign, 'keep me');
    try {
      expect(
        (await scanKeys(environment.config, `${environment.config.redis.prefix}:*`)).length,
      ).toBeGreaterThan(0);
      await sync().clear();
      expect(await scanKeys(environment.config, `${environment.config.redis.prefix}:*`)).toEqual([]);
      expect(await redis.get(foreign)).toBe('keep me');
    } finally {
      await redis.del(foreign);
      redis.disconnect();
    }
  });
});
