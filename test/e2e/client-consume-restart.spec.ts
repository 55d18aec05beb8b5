import { BrainClient, ContextMessage } from '@brain/client';
import { acknowledgedIds, tappedFetch } from './client-fetch-tap';
import { AppProcess } from '../support/app-process';
import { ADMIN_TOKEN, newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

const MESSAGES = 10_000;
const CONCURRENCY = 16;

/**
 * Issue 15: the consumer loop takes 10,000 messages with 16 handlers at once while the app (a child process) is
 * restarted mid-way: every message is handled and acknowledged exactly once; a handler runs twice only for a message
 * whose handler was running when the app went away (its lease could expire before the acknowledgement got through).
 */
describe('@brain/client consume across an app restart (e2e)', () => {
  jest.setTimeout(600_000);
  let environment: TestEnvironment;
  let app: AppProcess;

  beforeAll(async () => {
    environment = newTestEnvironment('clientrestart', { BRAIN_RATE_LIMIT_PER_MINUTE: '0' });
    app = await AppProcess.start({ env: environment.env, logLevel: 'warn', startTimeoutMs: 60000 });
  });

  afterAll(async () => {
    await app?.stop();
    await environment?.dispose();
  });

  it('over SSE reconnects after the restart with Last-Event-ID: what was sent meanwhile arrives, what it holds does not come again', async () => {
    const admin = new BrainClient({ baseUrl: app.url, token: ADMIN_TOKEN });
    const { token } = await admin.registerAgent({ id: 'streamer' });
    await admin.registerAgent({ id: 'sender' });
    const send = (n: number) =>
      admin.send({ targetAgent: 'streamer', sourceAgent: 'sender', context: { n } });
    // Every stream the consumer opens, with the Last-Event-ID it sent; while `holding`, new streams wait.
    const opened: (string | undefined)[] = [];
    let holding = false;
    let openStreams!: () => void;
    const streamsOpen = new Promise<void>((resolve) => (openStreams = resolve));
    const gatedFetch = (async (input: string, init: RequestInit & { headers: Record<string, string> }) => {
      if (input.includes('/events')) {
        opened.push(init.headers['last-event-id']);
        if (holding) await streamsOpen;
      }
      return fetch(input, init);
    }) as unknown as typeof fetch;
    const worker = new BrainClient({ baseUrl: app.url, token, fetch: gatedFetch });
    const runs = new Map<string, number>();
    let releaseHeld!: () => void;
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    const handle = worker.consume({
      agentId: 'streamer',
      consumer: 's1',
      concurrency: 2,
      logger: { warn: () => undefined },
      handler: async (message: ContextMessage) => {
        runs.set(message.id, (runs.get(message.id) ?? 0) + 1);
        if ((message.payload as { n: number }).n === 0) await held;
      },
    });
    const before = [await send(0), await send(1), await send(2)].map((message) => message.id);
    await waitFor(() => handle.stats.acknowledged === 2 && runs.size === 3, 'two acknowledged, one held');
    expect(opened).toEqual([undefined]);

    holding = true;
    await app.restart();
    // Sent while the consumer has no stream (its reconnect is held back).
    const meanwhile = [await send(3), await send(4)].map((message) => message.id);
    await waitFor(() => opened.length >= 2, 'a reconnect attempt');
    openStreams();
    await waitFor(() => handle.stats.acknowledged === 4, 'the two sent meanwhile acknowledged', 30000);
    releaseHeld();
    await waitFor(() => handle.stats.acknowledged === 5, 'the held one acknowledged');
    await handle.stop();

    // The reconnect named the last event received before the restart (the stream pushed the three in order).
    expect(opened.slice(1).every((lastEventId) => lastEventId === before[2])).toBe(true);
    expect([...runs.keys()].sort()).toEqual([...before, ...meanwhile].sort());
    // The message held across the restart (its lease unexpired) was not pushed again.
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(handle.stats.skippedRedeliveries).toBe(0);
  });

  it('handles 10,000 messages with concurrency 16, each acknowledged once, none lost', async () => {
    const admin = new BrainClient({ baseUrl: app.url, token: ADMIN_TOKEN });
    const { token } = await admin.registerAgent({ id: 'worker' });
    await admin.registerAgent({ id: 'producer' });

    const published = new Set<string>();
    const started = Date.now();
    for (let offset = 0; offset < MESSAGES; offset += 500) {
      const batch = Array.from({ length: Math.min(500, MESSAGES - offset) }, (_, i) =>
        admin.send({ targetAgent: 'worker', sourceAgent: 'producer', context: { n: offset + i } }),
      );
      for (const message of await Promise.all(batch)) published.add(message.id);
    }
    const publishMs = Date.now() - started;
    expect(published.size).toBe(MESSAGES);

    // Acknowledgements the server confirmed, counted on the wire.
    const acknowledged = new Map<string, number>();
    const countingFetch = tappedFetch((url, init, response) => {
      for (const id of acknowledgedIds(url, init, response))
        acknowledged.set(id, (acknowledged.get(id) ?? 0) + 1);
    });
    const worker = new BrainClient({ baseUrl: app.url, token, fetch: countingFetch });
    const runs = new Map<string, number>();
    const running = new Set<string>();
    let runningAtRestart = new Set<string>();
    const warnings: string[] = [];
    const handle = worker.consume({
      agentId: 'worker',
      consumer: 'w1',
      concurrency: CONCURRENCY,
      waitMs: 2000,
      logger: { warn: (line: string) => warnings.push(line) },
      handler: async (message: ContextMessage) => {
        running.add(message.id);
        runs.set(message.id, (runs.get(message.id) ?? 0) + 1);
        await new Promise((resolve) => setImmediate(resolve));
        running.delete(message.id);
      },
    });

    await waitFor(() => runs.size >= MESSAGES / 2, 'half of the messages handled', 300_000, 50);
    runningAtRestart = new Set(running);
    const restartStarted = Date.now();
    await app.restart();
    const restartMs = Date.now() - restartStarted;

    await waitFor(() => acknowledged.size === MESSAGES, 'every message acknowledged', 300_000, 100);
    await handle.stop();
    const totalMs = Date.now() - started;

    const lost = [...published].filter((id) => !acknowledged.has(id));
    const ackedTwice = [...acknowledged].filter(([, count]) => count > 1);
    const ranTwice = [...runs].filter(([, count]) => count > 1).map(([id]) => id);
    console.log(
      `publish ${publishMs} ms, restart ${restartMs} ms, total ${totalMs} ms; ran twice: ${ranTwice.length}, ` +
        `redeliveries skipped: ${handle.stats.skippedRedeliveries}, warnings: ${warnings.length}`,
    );
    expect(lost).toEqual([]);
    expect(ackedTwice).toEqual([]);
    expect([...acknowledged.keys()].every((id) => published.has(id))).toBe(true);
    expect(ranTwice.filter((id) => !runningAtRestart.has(id))).toEqual([]);
    expect(handle.stats.acknowledged).toBe(MESSAGES);
    // Nothing left for the agent, leased or not.
    expect((await admin.pending('worker', { count: 10 })).items).toEqual([]);
  });
});
