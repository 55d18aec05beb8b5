import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

/** Length trimming (BRAIN_STREAM_MAXLEN) never takes a message its recipient has not resolved yet. */
describe('ContextSync retention by length', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;

  beforeAll(async () => {
    environment = newTestEnvironment('maxlen', { BRAIN_STREAM_MAXLEN: '100' });
    brain = await startContextSync(environment.config);
    for (const agent of ['nova', 'slow']) await brain.contextSync.registerAgent(agent, `hash-${agent}`);
  });

  afterAll(async () => {
    await brain?.close();
    await environment?.dispose();
  });

  it('keeps every pending message of a recipient that falls behind, and trims what it has acknowledged', async () => {
    const sync = brain.contextSync;
    const sent: string[] = [];
    for (let i = 0; i < 300; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          sync.publishMessage({ sourceAgent: 'nova', targetAgent: 'slow', context: { n: i + j } }),
        ),
      );
      sent.push(...batch.map(({ message }) => message.id));
    }
    await waitFor(async () => (await sync.getStats()).archiveLag === 0, 'everything archived');

    // Over the length limit, archived, but pending: nothing goes.
    expect(await sync.cleanupOldMessages()).toBe(0);
    let pending = await sync.getPendingMessages('slow', { count: 1000 });
    expect(pending.map((m) => m.id)).toEqual(sent);

    // Once the oldest 250 are acknowledged, the stream is trimmed back to the limit; the rest stay pending.
    expect(await sync.acknowledgeMany('slow', sent.slice(0, 250))).toBe(250);
    expect(await sync.cleanupOldMessages()).toBe(200);
    expect((await sync.getStats()).streamsByAgent.slow).toBe(100);
    pending = await sync.getPendingMessages('slow', { count: 1000 });
    expect(pending.map((m) => m.id)).toEqual(sent.slice(250));

    // Leased but unacknowledged entries are kept too.
    const leased = await sync.getPendingMessages('slow', { count: 50, consumer: 'c' });
    expect(leased).toHaveLength(50);
    expect(await sync.cleanupOldMessages()).toBe(0);
    expect((await sync.getPendingMessages('slow', { count: 1000 })).map((m) => m.id)).toEqual(
      sent.slice(250),
    );
  });
});

/** What retention trims is no longer deliverable: it stops counting as pending, in stats and in status. */
describe('ContextSync retention by age', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;
  const DAY_AND_AN_HOUR = 25 * 3600 * 1000;

  beforeAll(async () => {
    environment = newTestEnvironment('agetrim');
    brain = await startContextSync(environment.config);
    for (const agent of ['nova', 'slow', 'kai'])
      await brain.contextSync.registerAgent(agent, `hash-${agent}`);
  });

  afterAll(async () => {
    await brain?.close();
    await environment?.dispose();
  });

  it('stops counting trimmed messages as pending (unread, leased or acknowledged early), and status agrees', async () => {
    const sync = brain.contextSync;
    const direct = [];
    for (let n = 0; n < 4; n++)
      direct.push(
        (await sync.publishMessage({ sourceAgent: 'nova', targetAgent: 'slow', context: { n } })).message,
      );
    const broadcasts = [];
    for (let n = 0; n < 2; n++)
      broadcasts.push((await sync.publishBroadcast({ sourceAgent: 'nova', context: { n } })).message);
    // slow leases one direct message and acknowledges another before reading it; kai leases one broadcast.
    expect(await sync.getPendingMessages('slow', { consumer: 'c', count: 1 })).toHaveLength(1);
    expect(await sync.getPendingMessages('kai', { consumer: 'c', count: 1 })).toHaveLength(1);
    await sync.acknowledgeMessage(direct[3].id, 'slow');
    await waitFor(async () => (await sync.getStats()).archiveLag === 0, 'everything archived');
    expect((await sync.getStats()).pendingMessages).toBe(3 + 2 + 2);
    expect((await sync.getMessage(direct[1].id)).status.pendingFor).toEqual(['slow']);

    // A day and an hour later everything is past the retention: trimmed from Redis, kept in Postgres.
    expect(await sync.cleanupOldMessages(Date.now() + DAY_AND_AN_HOUR)).toBe(6);
    expect(await sync.getPendingMessages('slow', { count: 100 })).toEqual([]);
    expect(await sync.getPendingMessages('kai', { count: 100 })).toEqual([]);
    expect((await sync.getStats()).pendingMessages).toBe(0);
    for (const message of [...direct.slice(0, 3), ...broadcasts]) {
      const { status } = await sync.getMessage(message.id);
      expect(status).toMatchObject({ acknowledged: false, pendingFor: [], deadLetteredFor: [] });
    }
    expect((await sync.getMessage(direct[3].id)).status).toMatchObject({
      acknowledged: true,
      pendingFor: [],
    });

    // The counters stay right for what comes next.
    const next = await sync.publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'slow',
      context: { n: 'next' },
    });
    const broadcast = await sync.publishBroadcast({ sourceAgent: 'kai', context: { n: 'next' } });
    expect((await sync.getStats()).pendingMessages).toBe(3);
    const leased = await sync.getPendingMessages('slow', { consumer: 'c', count: 10 });
    expect(leased.map((m) => m.id)).toEqual([next.message.id, broadcast.message.id]);
    expect((await sync.getStats()).pendingMessages).toBe(3);
    expect(await sync.acknowledgeMany('slow', [next.message.id, broadcast.message.id])).toBe(2);
    await sync.acknowledgeMessage(broadcast.message.id, 'nova');
    expect((await sync.getStats()).pendingMessages).toBe(0);
  });
});
