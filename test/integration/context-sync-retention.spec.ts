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
          sync.share({ sourceAgent: 'nova', targetAgent: 'slow', context: { n: i + j } }),
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
