import { randomUUID } from 'node:crypto';
import { AppProcess } from '../support/app-process';
import { httpRequest, printFigures, startLoad } from '../support/load-generator';
import { duplicatesIn, missingFrom, publish, registerAgents } from '../support/message-ledger';
import { newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

const VISIBILITY_MS = 500;
const MAX_DELIVERIES = 3;

interface Delivered {
  id: string;
  deliveryCount: number;
}

/**
 * Issue 7, "Consumer crash": in lease mode, a consumer that takes a batch and dies (never acknowledges) holds it for
 * BRAIN_VISIBILITY_TIMEOUT_MS only; then another consumer gets every one of those messages. A message that no
 * consumer ever acknowledges ends in the dead letters after exactly BRAIN_MAX_DELIVERIES deliveries.
 */
describe('reliability: a consumer crashes holding a lease', () => {
  let environment: TestEnvironment;
  let app: AppProcess;
  let token: Record<string, string>;

  beforeAll(async () => {
    environment = newTestEnvironment('rconsumer', {
      BRAIN_VISIBILITY_TIMEOUT_MS: String(VISIBILITY_MS),
      BRAIN_MAX_DELIVERIES: String(MAX_DELIVERIES),
    });
    app = await AppProcess.start({ env: environment.env });
    token = await registerAgents(app.url, ['nova', 'dexter', 'zed']);
  });

  afterAll(async () => {
    await app?.kill();
    await environment?.dispose();
  });

  /** One lease-mode fetch as `agent`'s consumer `consumer`; the answer's messages and when the call started/ended. */
  async function lease(agent: string, consumer: string, count: number) {
    const startedAt = Date.now();
    const answer = await httpRequest<{ items: Delivered[] }>(
      app.url,
      'GET',
      `/v1/agents/${agent}/messages?consumer=${consumer}&count=${count}`,
      { token: token[agent] },
    );
    if (answer.status !== 200)
      throw new Error(`lease answered ${answer.status} ${JSON.stringify(answer.body)}`);
    return { items: answer.body!.items, startedAt, endedAt: Date.now() };
  }

  async function acknowledge(agent: string, ids: string[]): Promise<void> {
    const answer = await httpRequest(app.url, 'POST', `/v1/agents/${agent}/acks`, {
      token: token[agent],
      body: { ids },
    });
    if (answer.status !== 200)
      throw new Error(`acks answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  /** Publishes `count` messages from nova to `to`, six at a time; every one must answer 201. */
  async function publishMany(to: string, count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    const results = await startLoad({
      concurrency: 6,
      maxRequests: count,
      send: (seq) => publish(app.url, { token: token.nova, from: 'nova', to, id: ids[seq], seq }),
    }).finished;
    expect(results.filter((r) => r.status !== 201)).toEqual([]);
    return ids;
  }

  it('hands every message of a dead consumer to another consumer after the visibility timeout, once', async () => {
    const sent = await publishMany('dexter', 300);

    // Consumer A takes a batch and dies: it never acknowledges, never comes back.
    const crashed = await lease('dexter', 'worker-a', 100);
    const crashedIds = crashed.items.map((m) => m.id);

    // Consumer B works normally: takes what it is given, acknowledges it, asks again.
    const received: (Delivered & { endedAt: number })[] = [];
    await waitFor(
      async () => {
        const batch = await lease('dexter', 'worker-b', 50);
        received.push(...batch.items.map((m) => ({ ...m, endedAt: batch.endedAt })));
        if (batch.items.length > 0)
          await acknowledge(
            'dexter',
            batch.items.map((m) => m.id),
          );
        return received.length >= sent.length;
      },
      'consumer B to receive every message',
      20000,
      50,
    );
    const receivedIds = received.map((m) => m.id);
    const takenOver = received.filter((m) => crashedIds.includes(m.id));
    const tooEarly = takenOver.filter((m) => m.endedAt < crashed.startedAt + VISIBILITY_MS);
    const peek = await httpRequest<{ items: unknown[] }>(app.url, 'GET', '/v1/agents/dexter/messages', {
      token: token.dexter,
    });
    const lastTakeOver = Math.max(...takenOver.map((m) => m.endedAt));

    printFigures('consumer crash', {
      sent: sent.length,
      leasedByCrashed: crashedIds.length,
      receivedByOther: received.length,
      takenOver: takenOver.length,
      duplicates: duplicatesIn(receivedIds).length,
      recoveryMs: lastTakeOver - crashed.endedAt,
    });

    expect(crashedIds).toHaveLength(100);
    expect(crashed.items.every((m) => m.deliveryCount === 1)).toBe(true);
    expect(missingFrom(receivedIds, sent)).toEqual([]);
    expect(duplicatesIn(receivedIds)).toEqual([]);
    expect(takenOver).toHaveLength(crashedIds.length);
    // Never handed to B while A's lease ran; handed out a second time, and says so.
    expect(tooEarly).toEqual([]);
    expect(takenOver.every((m) => m.deliveryCount === 2)).toBe(true);
    expect(received.filter((m) => !crashedIds.includes(m.id)).every((m) => m.deliveryCount === 1)).toBe(true);
    expect(peek.body?.items).toEqual([]);
  });

  it(`moves a message never acknowledged to the dead letters after exactly ${MAX_DELIVERIES} deliveries`, async () => {
    const [poison] = await publishMany('zed', 1);
    const deliveries: number[] = [];
    const startedAt = Date.now();
    // Each consumer takes the poison message and dies; the next one is a new consumer.
    const dead = await waitFor(
      async () => {
        const batch = await lease('zed', `worker-${deliveries.length + 1}`, 10);
        deliveries.push(...batch.items.filter((m) => m.id === poison).map((m) => m.deliveryCount));
        if (batch.items.length > 0) return false;
        const letters = await httpRequest<{ items: (Delivered & { reason: string })[] }>(
          app.url,
          'GET',
          '/v1/agents/zed/dead-letters',
          { token: token.zed },
        );
        return letters.body!.items.length > 0 && letters.body!.items;
      },
      'the poison message to reach the dead letters',
      15000,
      50,
    );
    const peek = await httpRequest<{ items: unknown[] }>(app.url, 'GET', '/v1/agents/zed/messages', {
      token: token.zed,
    });

    printFigures('poison message', {
      sent: 1,
      deliveries: deliveries.length,
      deadLetters: dead.length,
      deadAfterMs: Date.now() - startedAt,
    });

    expect(deliveries).toEqual(Array.from({ length: MAX_DELIVERIES }, (_, i) => i + 1));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id: poison, reason: 'max_deliveries', deliveryCount: MAX_DELIVERIES });
    expect(peek.body?.items).toEqual([]);
  });
});
