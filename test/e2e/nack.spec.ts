import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

type Message = { id: string; deliveryCount: number };
const ids = (response: { body: { items: Message[] } }) => response.body.items.map((m) => m.id);

/** The contract's nack rules: requeue now or after a delay (counting toward max deliveries), or dead-letter now. */
describe('nack: reject, retry later (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('nack', {
      env: { BRAIN_VISIBILITY_TIMEOUT_MS: '2000', BRAIN_MAX_DELIVERIES: '3' },
      agents: ['nova', 'dexter', 'kai'],
    });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  const send = async (to: string, context: Record<string, unknown> = { job: 1 }) =>
    (await client.post('/v1/messages', token.nova, { targetAgent: to, context })).body.id as string;
  const lease = (agent: string, consumer = 'w1') =>
    client.get(`/v1/agents/${agent}/messages?consumer=${consumer}&count=100`, token[agent]);
  const nack = (id: string, agent: string, body: Record<string, unknown> = {}) =>
    client.post(`/v1/messages/${id}/nack`, token[agent], body);
  /** Long polls waiting now (the brain_waiters gauge). */
  const waiters = async () => {
    const body = (await client.get('/metrics')).body as string;
    const line = body.split('\n').find((candidate) => candidate.startsWith('brain_waiters '));
    return Number(line?.slice('brain_waiters '.length));
  };
  const deadLetters = async (agent: string) =>
    (await client.get(`/v1/agents/${agent}/dead-letters`, token[agent])).body.items as Record<
      string,
      unknown
    >[];

  it('requeue (the default) makes a leased message pending again at once, its delivery count kept', async () => {
    const id = await send('dexter');
    const first = await lease('dexter');
    expect(first.body.items).toEqual([expect.objectContaining({ id, deliveryCount: 1 })]);
    expect(ids(await lease('dexter', 'w2'))).toEqual([]);

    const answer = await nack(id, 'dexter', { consumer: 'w1', reason: 'busy' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id, agentId: 'dexter', outcome: 'requeued' });

    const again = await lease('dexter', 'w2');
    expect(again.body.items).toEqual([expect.objectContaining({ id, deliveryCount: 2 })]);
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
  });

  it('requeue with delayMs keeps it hidden from leases until the delay ran out', async () => {
    const id = await send('dexter');
    await lease('dexter');
    const nackedAt = Date.now();
    expect((await nack(id, 'dexter', { delayMs: 700 })).body.outcome).toBe('requeued');
    expect(ids(await lease('dexter', 'w2'))).toEqual([]);
    const back = await waitFor(async () => {
      const items = (await lease('dexter', 'w2')).body.items as Message[];
      return items.length > 0 ? items : undefined;
    }, 'the nacked message to come back');
    expect(Date.now() - nackedAt).toBeGreaterThanOrEqual(700);
    expect(back).toEqual([expect.objectContaining({ id, deliveryCount: 2 })]);
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
  });

  it('requeue with a delay longer than the visibility timeout keeps it hidden past the timeout', async () => {
    const id = await send('kai');
    await lease('kai');
    const nackedAt = Date.now();
    expect((await nack(id, 'kai', { delayMs: 3000 })).body.outcome).toBe('requeued');
    // After the visibility timeout (2 s) a lease still does not get it.
    await waitFor(() => Promise.resolve(Date.now() - nackedAt > 2300 || undefined), 'the visibility timeout');
    expect(ids(await lease('kai', 'w2'))).toEqual([]);
    const back = await waitFor(async () => {
      const items = (await lease('kai', 'w2')).body.items as Message[];
      return items.length > 0 ? items : undefined;
    }, 'the nacked message to come back');
    expect(Date.now() - nackedAt).toBeGreaterThanOrEqual(3000);
    expect(back).toEqual([expect.objectContaining({ id, deliveryCount: 2 })]);
    await client.post(`/v1/messages/${id}/ack`, token.kai, {});
  });

  it('a requeue wakes a waiting long poll', async () => {
    const id = await send('dexter');
    await lease('dexter');
    const poll = client.get('/v1/agents/dexter/messages?consumer=w3&wait=10000', token.dexter);
    await waitFor(async () => (await waiters()) === 1, 'the poll waiting');
    const started = Date.now();
    await nack(id, 'dexter');
    const answer = await poll;
    expect(ids(answer)).toEqual([id]);
    expect(Date.now() - started).toBeLessThan(1500);
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
  });

  it('a long poll waiting when a delayed requeue becomes available answers then, not on its next periodic look', async () => {
    const id = await send('kai');
    await lease('kai');
    expect((await nack(id, 'kai', { delayMs: 700 })).body.outcome).toBe('requeued');
    const started = Date.now();
    const answer = await client.get('/v1/agents/kai/messages?consumer=w4&wait=10000', token.kai);
    const waited = Date.now() - started;
    expect(ids(answer)).toEqual([id]);
    // Due ~700 ms after the nack; long polls look again by themselves only every 2 s.
    expect(waited).toBeGreaterThanOrEqual(500);
    expect(waited).toBeLessThan(1400);
    await client.post(`/v1/messages/${id}/ack`, token.kai, {});
  });

  it('requeue false moves it to the dead letters with reason rejected and the text as detail', async () => {
    const id = await send('dexter', { job: 'bad' });
    await lease('dexter');
    const answer = await nack(id, 'dexter', { requeue: false, reason: 'schema mismatch' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id, agentId: 'dexter', outcome: 'dead_lettered' });
    expect(ids(await lease('dexter', 'w2'))).toEqual([]);
    expect((await deadLetters('dexter')).find((letter) => letter.id === id)).toEqual(
      expect.objectContaining({ id, reason: 'rejected', detail: 'schema mismatch', deliveryCount: 1 }),
    );
    const status = (await client.get(`/v1/messages/${id}`, ADMIN_TOKEN)).body.status;
    expect(status.deadLetteredFor).toEqual(['dexter']);
    expect(status.pendingFor).toEqual([]);
  });

  it('a message never leased (peek mode) can be rejected; requeueing it changes nothing', async () => {
    const kept = await send('kai');
    expect((await nack(kept, 'kai')).body.outcome).toBe('requeued');
    const rejected = await send('kai');
    expect((await nack(rejected, 'kai', { requeue: false })).body.outcome).toBe('dead_lettered');
    const dead = (await deadLetters('kai')).find((letter) => letter.id === rejected);
    expect(dead).toEqual(expect.objectContaining({ reason: 'rejected', detail: null, deliveryCount: 0 }));
    const peek = await client.get('/v1/agents/kai/messages', token.kai);
    expect(ids(peek)).toEqual([kept]);
    const stats = (await client.get('/v1/agents/kai/stats', token.kai)).body;
    expect(stats).toEqual(expect.objectContaining({ deadLetters: 1 }));
    await client.post(`/v1/messages/${kept}/ack`, token.kai, {});
    await client.post(`/v1/messages/${rejected}/ack`, token.kai, {});
  });

  it('nacks count toward BRAIN_MAX_DELIVERIES: the delivery after the last one dead-letters it', async () => {
    const id = await send('dexter');
    for (let delivery = 1; delivery <= 3; delivery += 1) {
      expect((await lease('dexter')).body.items).toEqual([
        expect.objectContaining({ id, deliveryCount: delivery }),
      ]);
      expect((await nack(id, 'dexter')).body.outcome).toBe('requeued');
    }
    expect(ids(await lease('dexter'))).toEqual([]);
    expect((await deadLetters('dexter')).find((letter) => letter.id === id)).toEqual(
      expect.objectContaining({ reason: 'max_deliveries', deliveryCount: 3 }),
    );
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
  });

  it('a broadcast is nacked for one member only', async () => {
    const sent = await client.post('/v1/broadcasts', token.nova, { context: { all: true } });
    const id = sent.body.id as string;
    await lease('dexter');
    await lease('kai');
    expect((await nack(id, 'dexter', { requeue: false, reason: 'not mine' })).body.outcome).toBe(
      'dead_lettered',
    );
    expect((await nack(id, 'kai')).body.outcome).toBe('requeued');
    expect(ids(await lease('kai', 'w2'))).toEqual([id]);
    expect(ids(await lease('dexter', 'w2'))).toEqual([]);
    expect((await deadLetters('dexter')).find((letter) => letter.id === id)).toEqual(
      expect.objectContaining({ toAgent: 'broadcast', reason: 'rejected', detail: 'not mine' }),
    );
    const status = (await client.get(`/v1/messages/${id}`, ADMIN_TOKEN)).body.status;
    expect(status.deadLetteredFor).toEqual(['dexter']);
    expect(status.pendingFor).toEqual(['kai']);
    await client.post(`/v1/messages/${id}/ack`, token.kai, {});
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
  });

  it('404 when the message is not addressed to the caller, unknown, or already acknowledged', async () => {
    const id = await send('dexter');
    const foreign = await nack(id, 'kai');
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `message '${id}' was not found`,
    });
    expect((await nack(randomUUID(), 'dexter')).status).toBe(404);
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
    const acked = await nack(id, 'dexter');
    expect(acked.status).toBe(404);
    expect(acked.body.message).toBe(`message '${id}' is already acknowledged by agent 'dexter'`);
    // The sender of a broadcast is not one of its recipients.
    const broadcast = await client.post('/v1/broadcasts', token.nova, { context: {} });
    expect((await nack(broadcast.body.id as string, 'nova')).status).toBe(404);
  });

  it('409 when another consumer holds the lease now', async () => {
    const id = await send('dexter');
    await lease('dexter', 'w1');
    const answer = await nack(id, 'dexter', { consumer: 'w9' });
    expect(answer.status).toBe(409);
    expect(answer.body.message).toBe(`message '${id}' is leased by another consumer of agent 'dexter'`);
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
  });

  it('the admin nacks for a named agent; bad bodies are 400 and change nothing', async () => {
    const id = await send('dexter');
    await lease('dexter');
    expect((await client.post(`/v1/messages/${id}/nack`, ADMIN_TOKEN, {})).status).toBe(400);
    for (const body of [
      { delayMs: -1 },
      { delayMs: 3600001 },
      { requeue: 'yes' },
      { reason: 'x'.repeat(501) },
      { reason: 'a\u0000b' },
      { consumer: 'bad consumer' },
      { extra: 1 },
    ]) {
      expect((await nack(id, 'dexter', body)).status).toBe(400);
    }
    expect(ids(await lease('dexter', 'w2'))).toEqual([]);
    const answer = await client.post(`/v1/messages/${id}/nack`, ADMIN_TOKEN, { agentId: 'dexter' });
    expect(answer.body).toEqual({ id, agentId: 'dexter', outcome: 'requeued' });
    expect(ids(await lease('dexter', 'w2'))).toEqual([id]);
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
  });

  it('accepts the bounds: a reason of 500 characters, delayMs 0 (at once) and 3600000 (an hour)', async () => {
    const id = await send('kai');
    await lease('kai');
    const longest = 'r'.repeat(500);
    expect((await nack(id, 'kai', { reason: longest, delayMs: 0 })).body.outcome).toBe('requeued');
    expect(ids(await lease('kai', 'w2'))).toEqual([id]);
    expect((await nack(id, 'kai', { consumer: 'w2', delayMs: 3_600_000 })).status).toBe(200);
    expect(ids(await lease('kai', 'w3'))).toEqual([]);
    const rejected = await send('kai');
    expect((await nack(rejected, 'kai', { requeue: false, reason: longest })).status).toBe(200);
    expect((await deadLetters('kai')).find((letter) => letter.id === rejected)).toEqual(
      expect.objectContaining({ detail: longest }),
    );
    await client.post('/v1/agents/kai/acks', token.kai, { ids: [id, rejected] });
  });

  it('times nacks in brain_contextsync_latency_seconds{operation="nack"}', async () => {
    const body = (await client.get('/metrics')).body as string;
    const line = body
      .split('\n')
      .find((candidate) => candidate.startsWith('brain_contextsync_latency_seconds_count{operation="nack"}'));
    expect(Number(line?.split(' ')[1])).toBeGreaterThan(0);
  });
});
