import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { LongPollService } from '../../src/context-sync/long-poll.service';
import { REDIS_CLIENT, RedisClient } from '../../src/infrastructure/redis/redis.constants';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

const ids = (response: { body: { items: { id: string }[] } }) => response.body.items.map((m) => m.id);

/** The `brain_waiters` gauge, as /metrics shows it: long polls (and event streams) holding a waiter slot now. */
async function waiters(client: BrainClient): Promise<number> {
  const body = (await client.get('/metrics')).body as string;
  const line = body.split('\n').find((candidate) => candidate.startsWith('brain_waiters '));
  return line === undefined ? NaN : Number(line.slice('brain_waiters '.length));
}

/**
 * Counts the Redis commands about `agentId` (a key or argument naming it) that the app sends while `during` runs.
 * Its shared connection carries every mailbox read; background work (the archiver) is about other keys.
 */
async function commandsAbout<T>(
  brain: TestBrain,
  agentId: string,
  during: () => Promise<T>,
): Promise<{ result: T; commands: number }> {
  const redis = brain.app.get<RedisClient>(REDIS_CLIENT);
  const send = jest.spyOn(redis, 'sendCommand');
  try {
    const result = await during();
    const about = send.mock.calls.filter(([command]) =>
      (command as unknown as { args: unknown[] }).args.some((arg) => String(arg).includes(agentId)),
    );
    return { result, commands: about.length };
  } finally {
    send.mockRestore();
  }
}

/**
 * Redis connections this process opens while `during` runs (every ioredis connection, of a single Redis or of a
 * Cluster's nodes, connects through Redis.prototype.connect). A Cluster client's topology refreshes open a short-lived
 * "refresher" connection each; they are the shared client's business, not the long polls', so they are left out.
 */
async function redisConnectionsDuring<T>(during: () => Promise<T>): Promise<{ result: T; opened: number }> {
  const connect = jest.spyOn(Redis.prototype, 'connect');
  try {
    const result = await during();
    const opened = connect.mock.contexts.filter(
      (redis) => !/\(refresher\)/.test(String((redis as Redis).options.connectionName)),
    ).length;
    return { result, opened };
  } finally {
    connect.mockRestore();
  }
}

describe('long polls (e2e)', () => {
  describe('beyond BRAIN_MAX_WAITERS', () => {
    let brain: TestBrain;
    const agents = ['w1', 'w2', 'w3', 'extra', 'busy'];

    beforeAll(async () => {
      brain = await startBrain('longpoll-limit', { env: { BRAIN_MAX_WAITERS: '3' }, agents });
    });

    afterAll(() => brain?.close());

    it('answers 429 with Retry-After at once, without a busy loop, logging once', async () => {
      const { client, token } = brain;
      const held = ['w1', 'w2', 'w3'].map((agent) =>
        client.get(`/v1/agents/${agent}/messages?wait=20000`, token[agent]),
      );
      await waitFor(async () => (await waiters(client)) === 3, 'three waiting long polls');
      const warn = jest.spyOn(Logger.prototype, 'warn');
      try {
        const started = Date.now();
        const { result: refused, commands } = await commandsAbout(brain, 'extra', () =>
          client.get('/v1/agents/extra/messages?wait=3000', token.extra),
        );
        expect(refused.status).toBe(429);
        expect(refused.body).toEqual({
          statusCode: 429,
          error: 'Too Many Requests',
          message: expect.stringContaining('BRAIN_MAX_WAITERS'),
        });
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Date.now() - started).toBeLessThan(1000);
        // Authenticating, checking the agent and reading both mailboxes once: a handful of commands (5), not a loop.
        // A /metrics scrape by the waiters() poll may measure the agent's counters meanwhile (a few more reads).
        expect(commands).toBeLessThan(20);
        for (let i = 0; i < 20; i++)
          expect((await client.get('/v1/agents/extra/messages?wait=1000', token.extra)).status).toBe(429);
        const aboutWaiters = warn.mock.calls.filter(([message]) => /BRAIN_MAX_WAITERS/.test(String(message)));
        expect(aboutWaiters.length).toBeLessThanOrEqual(1);
      } finally {
        warn.mockRestore();
      }

      // A poll that has something to answer, or nothing to wait for, needs no slot.
      const sent = await client.post('/v1/messages', token.w1, { targetAgent: 'busy', context: { n: 1 } });
      const ready = await client.get('/v1/agents/busy/messages?wait=5000', token.busy);
      expect(ready.status).toBe(200);
      expect(ids(ready)).toEqual([sent.body.id]);
      const immediate = await client.get('/v1/agents/extra/messages?wait=0', token.extra);
      expect(immediate.status).toBe(200);

      // The held polls still answer when their message comes, and give their slots back.
      await client.post('/v1/broadcasts', token.busy, { context: { release: true } });
      for (const answer of await Promise.all(held)) expect(answer.body.items).toHaveLength(1);
      await waitFor(async () => (await waiters(client)) === 0, 'every slot released');
      const late = await client.get('/v1/agents/extra/messages?count=100', token.extra);
      await client.post('/v1/agents/extra/acks', token.extra, { ids: ids(late) });
      const again = client.get('/v1/agents/extra/messages?wait=5000', token.extra);
      await waitFor(async () => (await waiters(client)) === 1, 'a slot for the next long poll');
      await client.post('/v1/messages', token.w1, { targetAgent: 'extra', context: { n: 2 } });
      expect((await again).status).toBe(200);
    });
  });

  describe('waking waiters', () => {
    let brain: TestBrain;
    const listeners = Array.from({ length: 40 }, (_, i) => `listener-${i}`);

    beforeAll(async () => {
      brain = await startBrain('longpoll-wake', { agents: ['sender', 'sleepy', ...listeners] });
    });

    afterAll(() => brain?.close());

    it('answers a waiting poll promptly on a direct message and on a broadcast', async () => {
      const { client, token } = brain;
      for (const kind of ['direct', 'broadcast'] as const) {
        const poll = client.get('/v1/agents/sleepy/messages?wait=10000&consumer=c', token.sleepy);
        await waitFor(async () => (await waiters(client)) === 1, 'the poll waiting');
        const sent =
          kind === 'direct'
            ? await client.post('/v1/messages', token.sender, { targetAgent: 'sleepy', context: { kind } })
            : await client.post('/v1/broadcasts', token.sender, { context: { kind } });
        const published = Date.now();
        const answer = await poll;
        expect(ids(answer)).toEqual([sent.body.id]);
        expect(Date.now() - published).toBeLessThan(1000);
        await client.post(`/v1/messages/${sent.body.id}/ack`, token.sleepy, {});
      }
    });

    it('wakes 40 waiters on each of 40 broadcasts without opening Redis connections for them', async () => {
      const { client, token } = brain;
      const longPoll = brain.app.get(LongPollService);
      const { result, opened } = await redisConnectionsDuring(async () => {
        const sent: string[] = [];
        let done = false;
        const receivers = listeners.map(async (agent) => {
          const received = new Set<string>();
          while (!done || !sent.every((id) => received.has(id))) {
            const answer = await client.get(
              `/v1/agents/${agent}/messages?wait=5000&count=100&consumer=c`,
              token[agent],
            );
            expect(answer.status).toBe(200);
            const got = ids(answer);
            got.forEach((id) => received.add(id));
            if (got.length > 0) await client.post(`/v1/agents/${agent}/acks`, token[agent], { ids: got });
          }
          return received;
        });
        for (let i = 0; i < 40; i++) {
          // Read in-process: a /metrics scrape every few ms would cost more than what is measured here.
          await waitFor(() => longPoll.waiting >= 30, 'most listeners waiting', 10000, 5);
          sent.push((await client.post('/v1/broadcasts', token.sender, { context: { i } })).body.id);
        }
        done = true;
        return { sent, received: await Promise.all(receivers) };
      });
      for (const received of result.received)
        expect(result.sent.filter((id) => !received.has(id))).toEqual([]);
      expect(opened).toBeLessThanOrEqual(5);
    }, 120_000);
  });

  describe('a token that stops working while its poll waits', () => {
    let brain: TestBrain;

    beforeAll(async () => {
      brain = await startBrain('longpoll-revoked', { agents: ['sender'] });
    });

    afterAll(() => brain?.close());

    it("answers 401 instead of the message once the poll's token was rotated away or its agent deleted; the message stays", async () => {
      const { client, token } = brain;
      for (const revoke of ['rotate', 'delete'] as const) {
        const id = `revoked-${revoke}`;
        const agentToken = await client.register(ADMIN_TOKEN, id);
        const poll = client.get(`/v1/agents/${id}/messages?wait=10000&consumer=c`, agentToken);
        await waitFor(async () => (await waiters(client)) === 1, 'the poll waiting');
        const answer =
          revoke === 'rotate'
            ? await client.post(`/v1/agents/${id}/token`, ADMIN_TOKEN)
            : await client.delete(`/v1/agents/${id}`, ADMIN_TOKEN);
        expect(answer.status).toBe(revoke === 'rotate' ? 200 : 204);
        if (revoke === 'delete') {
          // Nothing can reach a deleted agent; the poll still ends at its next look instead of waiting out `wait`.
          expect((await poll).status).toBe(401);
          continue;
        }
        const sent = await client.post('/v1/messages', token.sender, { targetAgent: id, context: {} });
        const polled = await poll;
        expect([polled.status, polled.body]).toEqual([401, expect.objectContaining({ statusCode: 401 })]);
        // Not leased to the revoked poll: the new token gets it at once.
        const fresh = await client.get(`/v1/agents/${id}/messages?consumer=c2`, answer.body.token);
        expect(ids(fresh)).toEqual([sent.body.id]);
      }
    });
  });

  describe('messages that become pending without a publish', () => {
    let brain: TestBrain;

    beforeAll(async () => {
      brain = await startBrain('longpoll-lease', {
        env: { BRAIN_VISIBILITY_TIMEOUT_MS: '500' },
        agents: ['sender', 'worker'],
      });
    });

    afterAll(() => brain?.close());

    it('answers a waiting consumer when the lease of another one expires (no notification: the periodic look)', async () => {
      const { client, token } = brain;
      const sent = await client.post('/v1/messages', token.sender, {
        targetAgent: 'worker',
        context: { n: 1 },
      });
      const leased = await client.get('/v1/agents/worker/messages?consumer=crashed', token.worker);
      expect(ids(leased)).toEqual([sent.body.id]);
      const started = Date.now();
      const taken = await client.get('/v1/agents/worker/messages?consumer=healthy&wait=10000', token.worker);
      expect(ids(taken)).toEqual([sent.body.id]);
      expect(taken.body.items[0].deliveryCount).toBe(2);
      // Lease over after 0.5 s; found at the next look, at most 2 s apart.
      expect(Date.now() - started).toBeLessThan(4000);
    });
  });
});
