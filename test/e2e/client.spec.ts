import { randomUUID } from 'node:crypto';
import {
  BadRequestError,
  BrainClient,
  BrainConnectionError,
  ConflictError,
  ContextMessage,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
} from '@brain/client';
import { acknowledgedIds, tappedFetch } from './client-fetch-tap';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { startBrain, TestBrain } from './brain-client';

/** Issue 15 part 2: the client against the real app (in process, real Redis and Postgres). */
describe('@brain/client (e2e)', () => {
  jest.setTimeout(60000);
  let brain: TestBrain;
  let url: string;
  let admin: BrainClient;
  const as = (agent: string) => new BrainClient({ baseUrl: url, token: brain.token[agent] });
  const quiet = { warn: jest.fn() };

  beforeAll(async () => {
    brain = await startBrain('client', {
      agents: ['nova', 'dexter', 'kai', 'lea'],
      env: { BRAIN_VISIBILITY_TIMEOUT_MS: '1500', BRAIN_RATE_LIMIT_PER_MINUTE: '0' },
    });
    url = brain.client.url;
    admin = new BrainClient({ baseUrl: url, token: ADMIN_TOKEN });
  });

  afterAll(async () => {
    // A consumer stopped mid-poll can leave fetch's pool a connection that never carried a request; Node's server
    // does not count it idle, and app.close() would wait out the keep-alive timeout (~70 s) for it.
    brain?.app.getHttpServer().closeAllConnections();
    await brain?.close();
  });

  async function drain(agent: string): Promise<void> {
    const { items } = await as(agent).pending(agent, { count: 1000 });
    if (items.length > 0)
      await as(agent).acknowledgeMany(
        agent,
        items.map((m) => m.id),
      );
  }

  beforeEach(() => Promise.all(['nova', 'dexter', 'kai', 'lea'].map(drain)));

  describe('typed methods', () => {
    it('send resolves to the ContextMessage, which the recipient sees, acknowledges and the sender can look up', async () => {
      const message = await as('nova').send({
        targetAgent: 'dexter',
        context: { q: 1 },
        priority: 'high',
        type: 't',
      });
      expect(message).toMatchObject({
        fromAgent: 'nova',
        toAgent: 'dexter',
        payload: { q: 1 },
        priority: 'high',
      });
      expect((await as('dexter').pending('dexter')).items.map((m) => m.id)).toEqual([message.id]);
      expect(await as('dexter').acknowledge(message.id)).toMatchObject({
        id: message.id,
        acknowledged: true,
      });
      expect((await as('nova').getMessage(message.id)).status).toMatchObject({ acknowledged: true });
    });

    it('covers agents, broadcasts, memories, history, conversations, insights, stats and dead letters', async () => {
      const registered = await admin.registerAgent({ id: `c${Date.now()}`, capabilities: ['x'] });
      expect(registered.token).toEqual(expect.any(String));
      expect((await admin.getAgent(registered.id)).capabilities).toEqual(['x']);
      expect((await admin.listAgents()).items.map((a) => a.id)).toContain(registered.id);
      expect((await admin.rotateToken(registered.id)).token).not.toBe(registered.token);
      await admin.deleteAgent(registered.id);
      await expect(admin.getAgent(registered.id)).rejects.toThrow(NotFoundError);

      const broadcast = await as('kai').broadcast({ context: { all: true } });
      expect(broadcast.toAgent).toBe('broadcast');
      expect(await as('lea').acknowledgeMany('lea', [broadcast.id])).toEqual({ acknowledged: 1 });

      const memory = await as('kai').remember('kai', { context: { fact: 'sky' }, tags: ['a'] });
      expect((await as('kai').memories('kai', { tags: 'a' })).items.map((m) => m.id)).toContain(memory.id);
      await waitFor(
        async () => (await as('kai').history('kai')).items.some((r) => r.messageId === broadcast.id),
        'the broadcast in history',
      );
      const direct = await as('kai').send({ targetAgent: 'lea', context: {} });
      await waitFor(
        async () => (await as('kai').conversation('kai', 'lea')).items.some((r) => r.messageId === direct.id),
        'the message in the conversation',
      );
      expect((await as('kai').insights()).agents).toEqual(expect.any(Array));
      expect((await admin.stats()).totalMessages).toBeGreaterThan(0);
      expect(await admin.metrics()).toContain('brain_');
      expect((await as('lea').deadLetters('lea')).items).toEqual([]);
      await expect(as('lea').requeueDeadLetter('lea', randomUUID())).rejects.toThrow(NotFoundError);
    });
  });

  describe('typed errors carry the contract shape', () => {
    it.each([
      [
        'an unknown target',
        () => as('nova').send({ targetAgent: 'zed', context: {} }),
        NotFoundError,
        404,
        /zed/,
      ],
      ['an existing id', () => admin.registerAgent({ id: 'nova' }), ConflictError, 409, /nova/],
      [
        'a bad token',
        () => new BrainClient({ baseUrl: url, token: 'nova.bad' }).listAgents(),
        UnauthorizedError,
        401,
        /./,
      ],
      ["another agent's mailbox", () => as('nova').pending('dexter'), ForbiddenError, 403, /./],
      [
        'an out-of-range count',
        () => as('nova').pending('nova', { count: 5000 }),
        BadRequestError,
        400,
        /count/,
      ],
    ])('%s', async (_what, call, Class, statusCode, message) => {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Class);
      expect(error).toMatchObject({
        statusCode,
        error: expect.any(String),
        message: expect.stringMatching(message),
      });
      expect(Object.keys((error as NotFoundError).toJSON()).sort()).toEqual([
        'error',
        'message',
        'statusCode',
      ]);
    });

    it('a closed port is a BrainConnectionError after the bounded retries', async () => {
      const client = new BrainClient({
        baseUrl: 'http://127.0.0.1:9',
        retry: { maxAttempts: 2, baseDelayMs: 1 },
      });
      await expect(client.listAgents()).rejects.toThrow(BrainConnectionError);
    });
  });

  it('a publish retried after a lost answer reuses its id: one message, the original returned', async () => {
    let posts = 0;
    const bodies: string[] = [];
    // The first answer is lost on the way back (the server did store the message): the client must retry.
    const losingFetch = tappedFetch((url, init) => {
      if (init.method === 'POST' && url.endsWith('/v1/messages')) {
        bodies.push(init.body ?? '');
        if (posts++ === 0) throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
      }
    });
    const client = new BrainClient({
      baseUrl: url,
      token: brain.token.nova,
      fetch: losingFetch,
      retry: { baseDelayMs: 1 },
    });
    const message = await client.send({ targetAgent: 'dexter', context: { once: true } });
    expect(posts).toBe(2);
    expect(new Set(bodies.map((b) => (JSON.parse(b) as { id: string }).id))).toEqual(new Set([message.id]));
    const pending = (await as('dexter').pending('dexter', { count: 100 })).items;
    expect(pending.map((m) => m.id)).toEqual([message.id]);
  });

  describe.each(['sse', 'long-poll'] as const)('consume over %s', (transport) => {
    async function sendMany(n: number, to = 'dexter'): Promise<string[]> {
      return Promise.all(
        Array.from({ length: n }, (_, i) => as('nova').send({ targetAgent: to, context: { i } })),
      ).then((messages) => messages.map((m) => m.id));
    }

    it('stops gracefully: in-flight handlers finish and are acknowledged once, the rest stays pending', async () => {
      const ids = await sendMany(6);
      const acked: string[] = [];
      const countingFetch = tappedFetch((url, init, response) =>
        acked.push(...acknowledgedIds(url, init, response)),
      );
      const client = new BrainClient({ baseUrl: url, token: brain.token.dexter, fetch: countingFetch });
      const started: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const controller = new AbortController();
      const handle = client.consume({
        transport,
        agentId: 'dexter',
        consumer: 'c1',
        concurrency: 3,
        waitMs: 5000,
        signal: controller.signal,
        logger: quiet,
        handler: async (message: ContextMessage) => {
          started.push(message.id);
          await gate;
        },
      });
      await waitFor(() => started.length === 3, 'three handlers running');
      controller.abort();
      let stopped = false;
      void handle.stopped.then(() => (stopped = true));
      // What must not happen (stopping before the handlers finish) has no event to await: give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stopped).toBe(false);
      release();
      await handle.stop();
      expect(started).toHaveLength(3);
      expect(acked.sort()).toEqual([...started].sort());
      expect(handle.stats).toMatchObject({ handled: 3, acknowledged: 3, failed: 0 });
      const rest = (await as('dexter').pending('dexter', { count: 100 })).items;
      expect(rest.map((m) => m.id).sort()).toEqual(ids.filter((id) => !started.includes(id)).sort());
      if (transport === 'long-poll') {
        // The other three were never fetched: still pending, never delivered.
        expect(rest.every((m) => m.deliveryCount === 0)).toBe(true);
      } else {
        // Pushed (so leased) but never started: given back at stop, so another consumer takes them now, not after
        // the lease: no other consumer's lease, nothing acknowledged.
        expect(handle.stats.skippedRedeliveries).toBe(0);
        const other = await as('dexter').pending('dexter', { consumer: 'c2', count: 100 });
        expect(other.items.map((m) => m.id).sort()).toEqual(rest.map((m) => m.id).sort());
      }
    });

    it('a handler past half the visibility timeout: its lease is extended, the message is not redelivered, one ack', async () => {
      const [id] = await sendMany(1, 'lea');
      const warn = jest.fn();
      let runs = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handle = as('lea').consume({
        transport,
        agentId: 'lea',
        consumer: 'c1',
        concurrency: 2,
        waitMs: 300,
        visibilityTimeoutMs: 1500,
        logger: { warn },
        handler: async () => {
          runs++;
          await gate;
        },
      });
      await waitFor(() => runs === 1, 'the handler running');
      // Another consumer of the agent asks after three visibility timeouts: the held lease keeps it from them.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const other = await as('lea').pending('lea', { consumer: 'c2', count: 10 });
      expect(other.items.map((message) => message.id)).not.toContain(id);
      release();
      await handle.stop();
      expect(runs).toBe(1);
      expect(handle.stats).toMatchObject({ handled: 1, acknowledged: 1, skippedRedeliveries: 0 });
      expect(warn.mock.calls.filter(([line]) => /cannot extend leases/.test(line as string))).toHaveLength(0);
      expect((await as('lea').getMessage(id)).status.acknowledged).toBe(true);
    });

    it('a failing handler: the message is nacked and comes back (deliveryCount kept, counting on), then acknowledged', async () => {
      const [id] = await sendMany(1, 'kai');
      const warn = jest.fn();
      const attempts: number[] = [];
      const handle = as('kai').consume({
        transport,
        agentId: 'kai',
        consumer: 'c1',
        concurrency: 2,
        waitMs: 500,
        logger: { warn },
        handler: (message) => {
          attempts.push(message.deliveryCount);
          if (attempts.length < 3) throw new Error(`attempt ${attempts.length} failed`);
        },
      });
      await waitFor(() => handle.stats.acknowledged === 1, 'the third attempt acknowledged', 20000);
      await handle.stop();
      expect(attempts).toEqual([1, 2, 3]);
      expect(warn.mock.calls.filter(([line]) => /cannot nack/.test(line as string))).toHaveLength(0);
      expect(handle.stats).toMatchObject({ failed: 2, acknowledged: 1 });
      expect((await as('kai').getMessage(id)).status.acknowledged).toBe(true);
    });
  });

  describe('consume over sse', () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('keeps the leases of pushed messages that wait for a busy handler: each runs once, no other consumer gets one', async () => {
      const ids = await Promise.all(
        [0, 1, 2].map((i) =>
          as('nova')
            .send({ targetAgent: 'lea', context: { i } })
            .then((m) => m.id),
        ),
      );
      const warn = jest.fn();
      const runs: string[] = [];
      const handle = as('lea').consume({
        agentId: 'lea',
        consumer: 'c1',
        concurrency: 1,
        visibilityTimeoutMs: 1500,
        logger: { warn },
        handler: async (message) => {
          runs.push(message.id);
          await sleep(1600);
        },
      });
      await waitFor(() => runs.length === 1, 'the first handler running');
      // The other two wait in the client up to 3.2 s, twice the visibility timeout: another consumer asking all the
      // while must get neither.
      const stolen: string[] = [];
      while (runs.length < 3) {
        const other = await as('lea').pending('lea', { consumer: 'c2', count: 10, wait: 200 });
        stolen.push(...other.items.map((message) => message.id));
      }
      await waitFor(() => handle.stats.acknowledged === 3, 'all three acknowledged', 10000);
      await handle.stop();
      expect(stolen).toEqual([]);
      expect([...runs].sort()).toEqual([...ids].sort());
      expect(handle.stats).toMatchObject({ handled: 3, acknowledged: 3, skippedRedeliveries: 0 });
      expect(warn).not.toHaveBeenCalled();
    });

    it('falls back to long polls when the server has no event stream route', async () => {
      // An older server: the events route answers Nest's 404 for a route it does not have.
      const olderServer = (async (input: string, init?: RequestInit) =>
        input.includes('/events')
          ? new Response(
              JSON.stringify({
                statusCode: 404,
                error: 'Not Found',
                message: 'Cannot GET /v1/agents/kai/events',
              }),
              { status: 404, headers: { 'content-type': 'application/json' } },
            )
          : fetch(input, init)) as unknown as typeof fetch;
      const [id] = await Promise.all([as('nova').send({ targetAgent: 'kai', context: { old: true } })]).then(
        (messages) => messages.map((m) => m.id),
      );
      const warn = jest.fn();
      const seen: string[] = [];
      const client = new BrainClient({ baseUrl: url, token: brain.token.kai, fetch: olderServer });
      const handle = client.consume({
        agentId: 'kai',
        consumer: 'c1',
        waitMs: 300,
        logger: { warn },
        handler: (message) => void seen.push(message.id),
      });
      await waitFor(() => handle.stats.acknowledged === 1, 'the message acknowledged');
      await handle.stop();
      expect(seen).toEqual([id]);
      expect(warn.mock.calls.map(([line]) => line as string)).toEqual([
        expect.stringMatching(/no event stream route: receiving by long polls/),
      ]);
    });
  });
});
