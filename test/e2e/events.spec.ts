import * as http from 'node:http';
import { Redis } from 'ioredis';
import { EVENT_BATCH } from '../../src/context-sync/context-message';
import { EventStreamService } from '../../src/context-sync/event-stream.service';
import { LongPollService } from '../../src/context-sync/long-poll.service';
import { AppProcess } from '../support/app-process';
import { ADMIN_TOKEN, newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';
import { SseReader } from './sse-reader';

const send = (client: BrainClient, token: string, targetAgent: string, extra: Record<string, unknown> = {}) =>
  client
    .post<{ id: string }>('/v1/messages', token, { targetAgent, context: { at: Date.now() }, ...extra })
    .then((answer) => {
      if (answer.status !== 201) throw new Error(`publish: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body.id;
    });

/** Issue 15, part 1: push over Server-Sent Events, per the contract's "Push: Server-Sent Events". */
describe('event streams: GET /v1/agents/{id}/events (e2e)', () => {
  jest.setTimeout(60000);
  const readers: SseReader[] = [];
  const open = async (
    client: BrainClient,
    path: string,
    token?: string,
    headers?: Record<string, string>,
  ) => {
    const reader = await SseReader.open(client, path, token, headers);
    readers.push(reader);
    return reader;
  };

  afterEach(() => {
    for (const reader of readers.splice(0)) reader.close();
  });

  describe('peek streams', () => {
    let brain: TestBrain;

    beforeAll(async () => {
      brain = await startBrain('sse-peek', {
        // Short keep-alive and connection timeouts: a stream must outlive the timeouts of request receipt and idle
        // keep-alive sockets.
        env: {
          BRAIN_SSE_KEEPALIVE_MS: '200',
          BRAIN_REQUEST_TIMEOUT_MS: '1000',
          BRAIN_HEADERS_TIMEOUT_MS: '1000',
          BRAIN_KEEP_ALIVE_TIMEOUT_MS: '1000',
        },
        agents: ['sender', 'reader', 'other', 'idle'],
      });
    });

    afterAll(() => brain?.close());

    it('pushes the pending messages in the pending order, then new ones within 100 ms of their publish', async () => {
      const { client, token } = brain;
      const low = await send(client, token.sender, 'reader', { priority: 'low' });
      const medium = await send(client, token.sender, 'reader');
      const critical = await send(client, token.sender, 'reader', { priority: 'critical' });
      const broadcast = (await client.post('/v1/broadcasts', token.sender, { context: { all: true } })).body
        .id;

      const stream = await open(client, '/v1/agents/reader/events', token.reader);
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.response.headers.get('cache-control')).toBe('no-cache');
      expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
      expect(stream.response.headers.get('x-request-id')).toBeTruthy();
      // helmet's headers still apply to a hijacked answer.
      expect(stream.response.headers.get('x-content-type-options')).toBe('nosniff');
      const pending = await stream.waitForMessages(4);
      expect(pending.map((event) => event.id)).toEqual([critical, medium, broadcast, low]);
      expect(pending[0].data).toEqual({
        id: critical,
        fromAgent: 'sender',
        toAgent: 'reader',
        timestamp: expect.any(String),
        payload: { at: expect.any(Number) },
        priority: 'critical',
        type: null,
        deliveryCount: 0,
        inReplyTo: null,
        expiresAt: null,
        deliverAt: null,
        routedBy: null,
      });

      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const id = await send(client, token.sender, 'reader');
        latencies.push((await stream.waitForMessage(id)).at - started);
      }
      console.log(`SSE delivery latency, publish call start -> event (ms): ${latencies.join(', ')}`);
      expect(Math.max(...latencies)).toBeLessThan(1000);
      // Each message pushed once on this connection.
      expect(new Set(stream.messages.map((event) => event.id)).size).toBe(stream.messages.length);
    });

    it('sends a keep-alive comment every BRAIN_SSE_KEEPALIVE_MS and outlives the request and keep-alive timeouts', async () => {
      const { client, token } = brain;
      const stream = await open(client, '/v1/agents/idle/events', token.idle);
      const opened = Date.now();
      await waitFor(() => stream.comments.length >= 3, 'three keep-alive comments', 5000);
      expect(stream.comments[0].comment).toBe('keep-alive');
      // 1 s of request timeout and 1 s of keep-alive timeout, checked every second: 3 s later the stream still works.
      await waitFor(
        () => Date.now() - opened > 3000 && stream.comments.length >= 12,
        'comments for 3 s',
        8000,
      );
      const gaps = stream.comments.slice(1).map((comment, i) => comment.at - stream.comments[i].at);
      expect(Math.max(...gaps)).toBeLessThan(1000);
      const id = await send(client, token.sender, 'idle');
      await stream.waitForMessage(id);
      expect(stream.isEnded).toBe(false);
    });

    it('pushes each message once per connection; an acknowledged one never again; a reconnect starts from everything unacknowledged', async () => {
      const { client, token } = brain;
      const first = await send(client, token.sender, 'other');
      const stream = await open(client, '/v1/agents/other/events', token.other);
      await stream.waitForMessage(first);
      const second = await send(client, token.sender, 'other');
      await stream.waitForMessage(second);
      // The peek re-reads `first` on every wake-up: still pushed only once.
      const third = await send(client, token.sender, 'other');
      await stream.waitForMessage(third);
      // (The broadcast of the first test is pending for this agent too.)
      const direct = (reader: SseReader) =>
        reader.messages.filter((event) => event.data.toAgent === 'other').map((event) => event.id);
      expect(direct(stream)).toEqual([first, second, third]);

      expect((await client.post(`/v1/messages/${first}/ack`, token.other, {})).status).toBe(200);
      stream.close();
      const again = await open(client, '/v1/agents/other/events', token.other);
      await again.waitForMessage(third);
      const fourth = await send(client, token.sender, 'other');
      await again.waitForMessage(fourth);
      expect(direct(again)).toEqual([second, third, fourth]);
    });

    it('lets the admin stream any agent; refuses others with the contract errors', async () => {
      const { client, token } = brain;
      const id = await send(client, token.sender, 'reader', { priority: 'high' });
      const admin = await open(client, '/v1/agents/reader/events?priority=high', ADMIN_TOKEN);
      expect((await admin.waitForMessage(id)).data.priority).toBe('high');
      expect(admin.messages.every((event) => event.data.priority === 'high')).toBe(true);

      const refused = async (path: string, tokenOf: string | undefined, status: number, message: RegExp) => {
        const answer = await client.stream(path, tokenOf);
        expect(answer.status).toBe(status);
        expect(answer.body).toEqual({
          statusCode: status,
          error: expect.any(String),
          message: expect.any(String),
        });
        expect((answer.body as { message: string }).message).toMatch(message);
      };
      await refused('/v1/agents/reader/events', undefined, 401, /bearer token/);
      await refused('/v1/agents/reader/events', 'not-a-token', 401, /bearer token/);
      await refused('/v1/agents/reader/events', token.other, 403, /may not act as agent 'reader'/);
      await refused('/v1/agents/ghost/events', ADMIN_TOKEN, 404, /'ghost' is not registered/);
      await refused('/v1/agents/reader/events?consumer=a%20b', token.reader, 400, /consumer must match/);
      await refused('/v1/agents/reader/events?priority=urgent', token.reader, 400, /priority/);
      await refused('/v1/agents/reader/events?count=5', token.reader, 400, /count/);
    });
    it("ends a stream once the token it was opened with stops working: nothing more reaches a rotated or deleted agent's token", async () => {
      const { client } = brain;
      for (const revoke of ['rotate', 'delete'] as const) {
        const id = `revoked-${revoke}`;
        const agentToken = await client.register(ADMIN_TOKEN, id);
        const stream = await open(client, `/v1/agents/${id}/events`, agentToken);
        const before = await send(client, brain.token.sender, id);
        await stream.waitForMessage(before);
        const lease = await open(client, `/v1/agents/${id}/events?consumer=w`, agentToken);
        await lease.waitForMessage(before);
        const answer =
          revoke === 'rotate'
            ? await client.post(`/v1/agents/${id}/token`, ADMIN_TOKEN)
            : await client.delete(`/v1/agents/${id}`, ADMIN_TOKEN);
        expect(answer.status).toBe(revoke === 'rotate' ? 200 : 204);
        if (revoke === 'rotate') await send(client, brain.token.sender, id);
        // Ended within a keep-alive interval (200 ms here), whether or not a message woke it.
        await Promise.all([stream.ended, lease.ended]);
        expect([stream, lease].map((reader) => reader.messages.map((event) => event.id))).toEqual([
          [before],
          [before],
        ]);
      }
    });
  });

  describe('lease streams', () => {
    let brain: TestBrain;
    const VISIBILITY_MS = 1500;

    beforeAll(async () => {
      brain = await startBrain('sse-lease', {
        env: { BRAIN_VISIBILITY_TIMEOUT_MS: String(VISIBILITY_MS) },
        agents: ['sender', 'worker', 'acker'],
      });
    });

    afterAll(() => brain?.close());

    it('leases each message as it is pushed and pushes it again once its lease expired unacknowledged', async () => {
      const { client, token } = brain;
      const stream = await open(client, '/v1/agents/worker/events?consumer=c1', token.worker);
      const id = await send(client, token.sender, 'worker');
      const first = await stream.waitForMessage(id);
      expect(first.data.deliveryCount).toBe(1);
      // Leased: another consumer does not get it while the lease runs.
      const other = await client.get('/v1/agents/worker/messages?consumer=c2', token.worker);
      expect(other.body.items).toEqual([]);
      const again = await stream.waitForMessage(id, 2, 10000);
      expect(again.at - first.at).toBeGreaterThanOrEqual(VISIBILITY_MS - 50);
    });

    it('never pushes an acknowledged message again', async () => {
      const { client, token } = brain;
      const stream = await open(client, '/v1/agents/acker/events?consumer=c1', token.acker);
      const acked = await send(client, token.sender, 'acker');
      const leased = await stream.waitForMessage(acked);
      await client.post(`/v1/agents/acker/acks`, token.acker, { ids: [acked] });
      const unacked = await send(client, token.sender, 'acker');
      await stream.waitForMessage(unacked);
      // The unacknowledged one comes back after its lease; by then the acknowledged one would have too.
      await stream.waitForMessage(unacked, 2, 10000);
      expect(Date.now() - leased.at).toBeGreaterThan(VISIBILITY_MS);
      expect(stream.messages.filter((event) => event.id === acked)).toHaveLength(1);
    });

    it('on reconnect with Last-Event-ID: every message published meanwhile arrives, nothing still leased comes early', async () => {
      const { client, token } = brain;
      const path = '/v1/agents/worker/events?consumer=resumer';
      // What c1 of the previous test left pending is not this test's business.
      await drainFor(client, token.worker);
      const stream = await open(client, path, token.worker);
      const [a, b] = [await send(client, token.sender, 'worker'), await send(client, token.sender, 'worker')];
      const received = await stream.waitForMessages(2);
      const leasedAt = received[1].at;
      stream.close();
      await waitFor(() => brain.app.get(EventStreamService).streams === 0, 'the stream closed on the server');

      const [c, d] = [await send(client, token.sender, 'worker'), await send(client, token.sender, 'worker')];
      const resumed = await open(client, path, token.worker, { 'Last-Event-ID': b });
      await resumed.waitForMessages(2);
      expect(resumed.messages.slice(0, 2).map((event) => event.id)).toEqual([c, d]);
      // a and b come back only when their lease expires, with their next delivery count.
      const [againA, againB] = [await resumed.waitForMessage(a, 2), await resumed.waitForMessage(b, 2)];
      expect(Math.min(againA.at, againB.at) - leasedAt).toBeGreaterThanOrEqual(VISIBILITY_MS - 50);
      expect(
        resumed.messages
          .map((event) => event.id)
          .slice(0, 4)
          .sort(),
      ).toEqual([a, b, c, d].sort());
    });
  });

  describe('waiter slots', () => {
    let brain: TestBrain;

    beforeAll(async () => {
      brain = await startBrain('sse-limit', {
        env: { BRAIN_MAX_WAITERS: '2' },
        agents: ['s1', 's2', 'poller', 'extra', 'slow'],
      });
    });

    afterAll(() => brain?.close());

    it('counts streams with long polls against BRAIN_MAX_WAITERS: 429 with Retry-After beyond, a slot again once one closes', async () => {
      const { client, token, app } = brain;
      const longPoll = app.get(LongPollService);
      const stream = await open(client, '/v1/agents/s1/events', token.s1);
      const poll = client.get('/v1/agents/poller/messages?wait=20000', token.poller);
      await waitFor(() => longPoll.waiting === 2, 'a stream and a long poll waiting');

      const refused = await client.stream('/v1/agents/s2/events', token.s2);
      expect(refused.status).toBe(429);
      expect((refused.body as { message: string }).message).toMatch(/BRAIN_MAX_WAITERS/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const refusedPoll = await client.get('/v1/agents/extra/messages?wait=1000', token.extra);
      expect(refusedPoll.status).toBe(429);

      stream.close();
      await waitFor(() => longPoll.waiting === 1, 'the closed stream gave its slot back');
      const next = await open(client, '/v1/agents/s2/events', token.s2);
      expect(next.isEnded).toBe(false);
      await client.post('/v1/messages', token.s1, { targetAgent: 'poller', context: {} });
      expect((await poll).status).toBe(200);
    });
    it('stops reading for a client that does not read: one batch in memory, not a growing buffer', async () => {
      const { client, token, app } = brain;
      const total = 400;
      const filler = 'x'.repeat(60_000);
      for (let i = 0; i < total; i++) await send(client, token.s1, 'slow', { context: { i, filler } });
      const url = new URL(`${client.url}/v1/agents/slow/events?consumer=stuck`);
      const request = http.get(url, { headers: { authorization: `Bearer ${token.slow}` } });
      try {
        const response = await new Promise<http.IncomingMessage>((resolve) =>
          request.once('response', resolve),
        );
        expect(response.statusCode).toBe(200);
        // Never read: the socket's buffers fill and the stream must stop there.
        response.pause();
        const streams = app.get(EventStreamService);
        await waitFor(() => streams.waitingForClients === 1, 'the stream waiting for its client');
        const available = await client.get('/v1/agents/slow/messages?consumer=other&count=1000', token.slow);
        const leased = total - available.body.items.length;
        console.log(
          `a client that does not read took ${leased} of ${total} messages of 60 KB (the rest stayed available)`,
        );
        expect(leased).toBeLessThanOrEqual(EVENT_BATCH);
        expect(streams.waitingForClients).toBe(1);
      } finally {
        request.destroy();
      }
    });
  });

  describe('500 open streams on one replica', () => {
    let brain: TestBrain;
    const agents = Array.from({ length: 50 }, (_, i) => `many-${i}`);

    beforeAll(async () => {
      brain = await startBrain('sse-many', {
        env: { BRAIN_MAX_WAITERS: '600' },
        agents: ['sender', ...agents],
      });
    });

    afterAll(() => brain?.close());

    it('hold no Redis connection each and all receive a broadcast', async () => {
      const { client, token, app } = brain;
      const connect = jest.spyOn(Redis.prototype, 'connect');
      try {
        global.gc?.();
        const heapBefore = process.memoryUsage().heapUsed;
        const streams = await Promise.all(
          Array.from({ length: 500 }, (_, i) => agents[i % agents.length]).map((agent) =>
            open(client, `/v1/agents/${agent}/events`, token[agent]),
          ),
        );
        expect(app.get(EventStreamService).streams).toBe(500);
        const heapAfter = process.memoryUsage().heapUsed;
        const started = Date.now();
        const id = (await client.post('/v1/broadcasts', token.sender, { context: { all: true } })).body.id;
        await Promise.all(streams.map((stream) => stream.waitForMessage(id, 0, 20000)));
        const opened = connect.mock.contexts.filter(
          (redis) => !/\(refresher\)/.test(String((redis as Redis).options.connectionName)),
        ).length;
        console.log(
          `500 streams: ${opened} Redis connection(s) opened for them, heap +${Math.round((heapAfter - heapBefore) / 1024)} KB ` +
            `(server and test client in one process), broadcast on all 500 after ${Date.now() - started} ms`,
        );
        expect(opened).toBeLessThanOrEqual(5);
      } finally {
        connect.mockRestore();
      }
    });
  });

  describe('SIGTERM', () => {
    let environment: TestEnvironment;
    let app: AppProcess | undefined;

    beforeAll(() => {
      environment = newTestEnvironment('sse-sigterm');
    });

    afterAll(async () => {
      await app?.kill();
      await environment?.dispose();
    });

    it('ends every stream at once, telling its client to reconnect, and the process exits without waiting for them', async () => {
      app = await AppProcess.start({ env: environment.env });
      const client = new BrainClient(app.url);
      const token = await client.register(ADMIN_TOKEN, 'listener');
      const streams = [
        await open(client, '/v1/agents/listener/events', token),
        await open(client, '/v1/agents/listener/events?consumer=c1', token),
      ];
      const id = await send(client, ADMIN_TOKEN, 'listener', { sourceAgent: 'listener' });
      for (const stream of streams) await stream.waitForMessage(id);

      const signalledAt = Date.now();
      app.send('SIGTERM');
      await Promise.all(streams.map((stream) => stream.ended));
      const endedMs = Date.now() - signalledAt;
      const exit = await app.exited;
      console.log(
        `SIGTERM: streams ended after ${endedMs} ms, the process exited after ${exit.at - signalledAt} ms`,
      );
      expect(endedMs).toBeLessThan(3000);
      expect(exit.at - signalledAt).toBeLessThan(10000);
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
      for (const stream of streams) expect(stream.events.at(-1)?.comment).toBe('shutting down, reconnect');
      // The request log still has a line for each stream, written when it ended.
      // (The child's last output may arrive just after its exit.)
      const logged = () => app!.output.match(/"url":"\/v1\/agents\/listener\/events[^"]*"/g) ?? [];
      await waitFor(() => logged().length >= 2, 'a request log line for each stream', 5000);
    });
  });
});

/** Leases and acknowledges whatever is pending for the agent now, so a test starts from an empty mailbox. */
async function drainFor(client: BrainClient, token: string): Promise<void> {
  for (;;) {
    const answer = await client.get<{ items: { id: string }[] }>(
      '/v1/agents/worker/messages?count=100',
      token,
    );
    if (answer.body.items.length === 0) return;
    await client.post('/v1/agents/worker/acks', token, { ids: answer.body.items.map((m) => m.id) });
  }
}
