import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';

/** The design note's `moveToDeadLetter(messageId, agentId, reason)`, in-process: a nack without requeue. */
describe('ContextSync moveToDeadLetter (in-process nack)', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;

  beforeAll(async () => {
    environment = newTestEnvironment('nackproc', { BRAIN_VISIBILITY_TIMEOUT_MS: '60000' });
    brain = await startContextSync(environment.config);
    for (const agent of ['nova', 'dexter', 'kai'])
      await brain.contextSync.registerAgent(agent, `hash-${agent}`);
  });

  afterAll(async () => {
    await brain?.close();
    await environment?.dispose();
  });

  const sync = () => brain.contextSync;

  it('moves a leased direct message to the dead letters with reason rejected and the reason as detail', async () => {
    const { message } = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: { n: 1 },
    });
    expect((await sync().getPendingMessages('dexter', { consumer: 'w1' })).map((m) => m.id)).toEqual([
      message.id,
    ]);

    expect(await sync().moveToDeadLetter(message.id, 'dexter', 'cannot parse')).toEqual({
      id: message.id,
      agentId: 'dexter',
      outcome: 'dead_lettered',
    });
    expect(await sync().getPendingMessages('dexter')).toEqual([]);
    const [letter] = await sync().listDeadLetters('dexter');
    expect(letter).toEqual(
      expect.objectContaining({
        id: message.id,
        reason: 'rejected',
        detail: 'cannot parse',
        deliveryCount: 1,
      }),
    );
    // Twice is the same answer, and still one dead letter.
    expect((await sync().moveToDeadLetter(message.id, 'dexter', 'again')).outcome).toBe('dead_lettered');
    expect(await sync().listDeadLetters('dexter')).toHaveLength(1);
    // A dead letter requeued is pending again, fresh.
    await sync().requeueDeadLetter('dexter', message.id);
    expect((await sync().getPendingMessages('dexter')).map((m) => m.id)).toEqual([message.id]);
    await sync().acknowledge(message.id, 'dexter');
  });

  it('moves a broadcast to the dead letters of one member only', async () => {
    const { message } = await sync().publishBroadcast({ sourceAgent: 'nova', context: { all: true } });
    await sync().moveToDeadLetter(message.id, 'kai', 'not for me');
    expect((await sync().getPendingMessages('kai')).map((m) => m.id)).toEqual([]);
    expect((await sync().getPendingMessages('dexter')).map((m) => m.id)).toEqual([message.id]);
    const { status } = await sync().getMessage(message.id);
    expect(status.deadLetteredFor).toEqual(['kai']);
    expect(status.pendingFor).toEqual(['dexter']);
    expect((await sync().getStats()).deadLetters).toBeGreaterThanOrEqual(1);
  });

  it("refuses what is not the agent's to give back", async () => {
    const { message } = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: {},
    });
    await expect(sync().moveToDeadLetter(message.id, 'kai', 'x')).rejects.toThrow('was not found');
    await sync().acknowledge(message.id, 'dexter');
    await expect(sync().moveToDeadLetter(message.id, 'dexter', 'x')).rejects.toThrow('already acknowledged');
    await expect(sync().moveToDeadLetter(message.id, 'dexter', 'x'.repeat(501))).rejects.toThrow(
      'reason must be a string of at most 500 characters',
    );
  });
});
