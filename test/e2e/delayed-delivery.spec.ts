import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';
import { SseReader } from './sse-reader';

type Message = { id: string; deliverAt: string | null };
const ids = (response: { body: { items: Message[] } }) => response.body.items.map((m) => m.id);

/** The contract's `delayMs`: invisible to peeks, leases, long polls and event streams until due; GET shows it. */
describe('delayed delivery (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('delayed', { agents: ['nova', 'dexter', 'kai'] });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  const peek = (agent: string) => client.get(`/v1/agents/${agent}/messages?count=100`, token[agent]);
  const lease = (agent: string) =>
    client.get(`/v1/agents/${agent}/messages?consumer=w1&count=100`, token[agent]);

  it('a delayed direct message is hidden from peeks and leases until due, then delivered with deliverAt', async () => {
    const sent = await client.post('/v1/messages', token.nova, {
      targetAgent: 'dexter',
      context: { later: true },
      delayMs: 1500,
    });
    expect(sent.status).toBe(201);
    const id = sent.body.id as string;
    const dueAt = Date.parse(sent.body.timestamp as string) + 1500;
    expect(sent.body.deliverAt).toBe(new Date(dueAt).toISOString());
    expect(sent.body.deliveryCount).toBe(0);

    expect(ids(await peek('dexter'))).toEqual([]);
    expect(ids(await lease('dexter'))).toEqual([]);
    const meanwhile = await client.get(`/v1/messages/${id}`, token.dexter);
    expect(meanwhile.status).toBe(200);
    expect(meanwhile.body).toEqual(
      expect.objectContaining({
        id,
        deliverAt: sent.body.deliverAt,
        status: expect.objectContaining({ pendingFor: [], acknowledged: false }),
      }),
    );

    const delivered = await waitFor(async () => {
      const items = (await lease('dexter')).body.items as Message[];
      return items.length > 0 ? items : undefined;
    }, 'the delayed message to be due');
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt);
    expect(delivered).toEqual([
      expect.objectContaining({ id, deliverAt: sent.body.deliverAt, deliveryCount: 1 }),
    ]);
    expect((await client.get(`/v1/messages/${id}`, ADMIN_TOKEN)).body.status.pendingFor).toEqual(['dexter']);
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
  });

  it('a long poll waiting when the message becomes due answers then', async () => {
    const sent = await client.post('/v1/messages', token.nova, {
      targetAgent: 'kai',
      context: { n: 1 },
      delayMs: 1200,
    });
    const dueAt = Date.parse(sent.body.deliverAt as string);
    const poll = await client.get('/v1/agents/kai/messages?consumer=w1&wait=10000', token.kai);
    const answeredAt = Date.now();
    expect(ids(poll)).toEqual([sent.body.id]);
    expect(answeredAt).toBeGreaterThanOrEqual(dueAt);
    // Within ~100 ms of due (the scheduler's tick), plus the wake-up and the HTTP answer.
    expect(answeredAt - dueAt).toBeLessThan(600);
    await client.post(`/v1/messages/${sent.body.id}/ack`, token.kai, {});
  });

  it('a delayed broadcast reaches every member once due; a retry of its id is the same message', async () => {
    const id = '0c9d1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b';
    const body = { id, context: { all: true }, delayMs: 800 };
    const sent = await client.post('/v1/broadcasts', token.nova, body);
    expect(sent.status).toBe(201);
    const retry = await client.post('/v1/broadcasts', token.nova, body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(sent.body);
    expect(ids(await peek('dexter'))).toEqual([]);
    await waitFor(async () => ids(await peek('dexter')).includes(id) || undefined, 'the broadcast to be due');
    expect(ids(await peek('kai'))).toEqual([id]);
    expect(ids(await peek('nova'))).toEqual([]);
    const late = await client.post('/v1/broadcasts', token.nova, body);
    expect(late.status).toBe(200);
    expect(late.body).toEqual({ ...sent.body });
    await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
    await client.post(`/v1/messages/${id}/ack`, token.kai, {});
  });

  it('refuses a delay out of range or to an unknown agent, and stores nothing', async () => {
    for (const delayMs of [-1, 86_400_001, 1.5, 'soon']) {
      const answer = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: {},
        delayMs,
      });
      expect(answer.status).toBe(400);
    }
    const unknown = await client.post('/v1/messages', token.nova, {
      targetAgent: 'ghost',
      context: {},
      delayMs: 10,
    });
    expect(unknown.status).toBe(404);
    const plain = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
    expect(plain.body.deliverAt).toBeNull();
    expect(ids(await peek('dexter'))).toEqual([plain.body.id]);
    await client.post(`/v1/messages/${plain.body.id}/ack`, token.dexter, {});
  });

  it('is not pushed on an event stream, peek or lease, before it is due; pushed once due', async () => {
    const peekStream = await SseReader.open(client, '/v1/agents/dexter/events', token.dexter);
    const leaseStream = await SseReader.open(client, '/v1/agents/dexter/events?consumer=s1', token.dexter);
    try {
      const sent = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: { pushed: 'later' },
        delayMs: 1000,
      });
      expect(sent.status).toBe(201);
      const id = sent.body.id as string;
      const dueAt = Date.parse(sent.body.deliverAt as string);
      // A plain message published after it arrives first: the streams are live, the delayed one is held back.
      const plain = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      await peekStream.waitForMessage(plain.body.id as string);
      await leaseStream.waitForMessage(plain.body.id as string);
      expect(Date.now()).toBeLessThan(dueAt);
      for (const stream of [peekStream, leaseStream])
        expect(stream.messages.map((event) => event.id)).not.toContain(id);

      const [peeked, leased] = await Promise.all([
        peekStream.waitForMessage(id),
        leaseStream.waitForMessage(id),
      ]);
      for (const event of [peeked, leased]) {
        expect(event.at).toBeGreaterThanOrEqual(dueAt);
        expect(event.data).toMatchObject({ id, deliverAt: sent.body.deliverAt });
      }
      expect(leased.data.deliveryCount).toBe(1);
      await client.post('/v1/agents/dexter/acks', token.dexter, { ids: [id, plain.body.id] });
    } finally {
      peekStream.close();
      leaseStream.close();
    }
  });

  it('accepts the bounds of delayMs: 0 (due at once) and 86400000 (a day)', async () => {
    const now = await client.post('/v1/messages', token.nova, {
      targetAgent: 'kai',
      context: {},
      delayMs: 0,
    });
    expect(now.status).toBe(201);
    expect(ids(await peek('kai'))).toEqual([now.body.id]);
    const day = await client.post('/v1/broadcasts', token.nova, { context: {}, delayMs: 86_400_000 });
    expect(day.status).toBe(201);
    expect(Date.parse(day.body.deliverAt as string) - Date.parse(day.body.timestamp as string)).toBe(
      86_400_000,
    );
    expect(ids(await peek('kai'))).toEqual([now.body.id]);
    const shown = await client.get(`/v1/messages/${day.body.id}`, ADMIN_TOKEN);
    expect(shown.body).toMatchObject({ id: day.body.id, status: { pendingFor: [], acknowledged: false } });
    await client.post(`/v1/messages/${now.body.id}/ack`, token.kai, {});
  });
});
