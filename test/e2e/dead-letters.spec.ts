import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ids = (response: { body: { items: { id: string }[] } }) => response.body.items.map((m) => m.id);

/** The contract's "Consumers" rules for dead letters: acknowledging resolves, requeue after an ack is 409, status. */
describe('dead letters: ack, requeue, status and stats (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('deadrules', {
      env: { BRAIN_VISIBILITY_TIMEOUT_MS: '100', BRAIN_MAX_DELIVERIES: '2' },
      agents: ['nova', 'dexter', 'kai'],
    });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  /** Leases the agent's messages again and again, never acknowledging, until `id` is among its dead letters. */
  async function deadLetter(agent: string, id: string): Promise<Record<string, unknown>> {
    return waitFor(async () => {
      await client.get(`/v1/agents/${agent}/messages?consumer=flaky&count=100`, token[agent]);
      const dead = await client.get(`/v1/agents/${agent}/dead-letters`, token[agent]);
      return (dead.body.items as { id: string }[]).find((letter) => letter.id === id);
    }, `message ${id} to be dead-lettered for ${agent}`);
  }

  const stats = async () => (await client.get('/v1/stats', ADMIN_TOKEN)).body;
  const status = async (id: string) => (await client.get(`/v1/messages/${id}`, ADMIN_TOKEN)).body;
  /** The dead letter of a message that used up its BRAIN_MAX_DELIVERIES (2) deliveries. */
  const diedOf = (message: Record<string, unknown>) => ({
    ...message,
    deliveryCount: 2,
    reason: 'max_deliveries',
    detail: null,
    deadAt: expect.stringMatching(ISO),
  });
  /** The status `GET /v1/messages/{id}` should show, from who is in which state (nobody trimmed here). */
  const expected = (acknowledgedBy: string[], pendingFor: string[], deadLetteredFor: string[]) => ({
    acknowledged: pendingFor.length === 0 && deadLetteredFor.length === 0,
    acknowledgedBy,
    pendingFor,
    deadLetteredFor,
    expired: false,
  });

  it('a direct dead letter carries its real delivery count, shows in status, and an ack resolves it', async () => {
    const before = await stats();
    const message = await client.post('/v1/messages', token.nova, {
      targetAgent: 'dexter',
      context: { job: 1 },
    });
    const id = message.body.id as string;

    expect(await deadLetter('dexter', id)).toEqual(diedOf(message.body));
    const dead = await status(id);
    expect(dead.deliveryCount).toBe(2);
    expect(dead.status).toEqual(expected([], [], ['dexter']));
    const whileDead = await stats();
    expect(whileDead.deadLetters).toBe(before.deadLetters + 1);
    expect(whileDead.pendingMessages).toBe(before.pendingMessages);

    const ack = await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
    expect(ack.status).toBe(200);
    expect((await client.get('/v1/agents/dexter/dead-letters', token.dexter)).body.items).toEqual([]);
    const after = await stats();
    expect(after.deadLetters).toBe(before.deadLetters);
    expect(after.pendingMessages).toBe(before.pendingMessages);
    expect((await status(id)).status).toEqual(expected(['dexter'], [], []));

    // Requeueing an acknowledged message would deliver it again: refused.
    const requeue = await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, token.dexter);
    expect(requeue.status).toBe(409);
    expect(requeue.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: expect.stringContaining(id),
    });
    expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([]);
    expect((await client.post(`/v1/messages/${id}/ack`, token.dexter, {})).body).toEqual(ack.body);
  });

  it('a broadcast that died for one member: status, requeue (once), then ack; requeue after the ack → 409', async () => {
    const before = await stats();
    const message = await client.post('/v1/broadcasts', token.nova, { context: { job: 2 } });
    const id = message.body.id as string;
    expect((await client.post(`/v1/messages/${id}/ack`, token.kai, {})).status).toBe(200);

    expect(await deadLetter('dexter', id)).toEqual(diedOf(message.body));
    expect((await status(id)).status).toEqual(expected(['kai'], [], ['dexter']));
    expect((await stats()).deadLetters).toBe(before.deadLetters + 1);
    expect((await stats()).pendingMessages).toBe(before.pendingMessages);

    const requeued = await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, token.dexter);
    expect(requeued.status).toBe(200);
    expect(requeued.body).toMatchObject({ id, toAgent: 'broadcast', payload: { job: 2 }, deliveryCount: 0 });
    expect((await client.get('/v1/agents/dexter/dead-letters', token.dexter)).body.items).toEqual([]);
    expect((await status(id)).status).toEqual(expected(['kai'], ['dexter'], []));
    expect(await stats()).toMatchObject({
      deadLetters: before.deadLetters,
      pendingMessages: before.pendingMessages + 1,
    });
    // Pending again, not dead: a second requeue finds no dead letter.
    expect((await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, token.dexter)).status).toBe(
      404,
    );

    expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([id]);
    expect((await client.post(`/v1/messages/${id}/ack`, token.dexter, {})).status).toBe(200);
    expect((await status(id)).status).toEqual(expected(['dexter', 'kai'], [], []));
    expect((await stats()).pendingMessages).toBe(before.pendingMessages);
    const again = await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, token.dexter);
    expect(again.status).toBe(409);
    expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([]);
  });

  it('acknowledging a broadcast dead letter resolves it for that member only', async () => {
    const before = await stats();
    const message = await client.post('/v1/broadcasts', token.nova, { context: { job: 3 } });
    const id = message.body.id as string;
    await deadLetter('dexter', id);
    expect((await status(id)).status).toMatchObject({ pendingFor: ['kai'], deadLetteredFor: ['dexter'] });

    const acked = await client.post('/v1/agents/dexter/acks', token.dexter, { ids: [id] });
    expect(acked.body).toEqual({ acknowledged: 1 });
    expect((await client.get('/v1/agents/dexter/dead-letters', token.dexter)).body.items).toEqual([]);
    expect((await status(id)).status).toEqual(expected(['dexter'], ['kai'], []));
    expect(await stats()).toMatchObject({
      deadLetters: before.deadLetters,
      pendingMessages: before.pendingMessages + 1,
    });
    expect((await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, ADMIN_TOKEN)).status).toBe(409);
    expect(ids(await client.get('/v1/agents/dexter/messages', token.dexter))).toEqual([]);
    expect((await client.post(`/v1/messages/${id}/ack`, token.kai, {})).status).toBe(200);
  });

  it('requeue of an unknown id or of a message that is pending, not dead, → 404', async () => {
    const unknown = await client.post(`/v1/agents/dexter/dead-letters/${randomUUID()}/requeue`, token.dexter);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    const message = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
    const id = message.body.id as string;
    expect((await client.post(`/v1/agents/dexter/dead-letters/${id}/requeue`, token.dexter)).status).toBe(
      404,
    );
    expect((await client.post(`/v1/messages/${id}/ack`, token.dexter, {})).status).toBe(200);
  });
});

/** The contract's page rule for dead letters: at most `limit` items and BRAIN_MAX_PAGE_BYTES, `nextCursor` continues. */
describe('dead-letter pages (e2e)', () => {
  const MAX_PAGE_BYTES = 65536;
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('deadpages', {
      env: { BRAIN_MAX_PAGE_BYTES: String(MAX_PAGE_BYTES) },
      agents: ['nova', 'dexter'],
    });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  /** Rejects each message for dexter (nack, requeue false), one after another: newest dead last. */
  async function rejectAll(published: string[]): Promise<void> {
    const leased = await client.get('/v1/agents/dexter/messages?consumer=w&count=100', token.dexter);
    expect(ids(leased).sort()).toEqual([...published].sort());
    for (const id of published) {
      const nack = await client.post(`/v1/messages/${id}/nack`, token.dexter, {
        consumer: 'w',
        requeue: false,
      });
      expect(nack.body.outcome).toBe('dead_lettered');
    }
  }

  async function allPages(query: string) {
    const pages: { items: { id: string }[]; nextCursor: string | null; bytes: number }[] = [];
    let cursor: string | null = null;
    do {
      const suffix: string = cursor ? `&cursor=${cursor}` : '';
      const page = await client.get(`/v1/agents/dexter/dead-letters?${query}${suffix}`, token.dexter);
      expect(page.status).toBe(200);
      pages.push({ ...page.body, bytes: Buffer.byteLength(JSON.stringify(page.body)) });
      cursor = page.body.nextCursor;
    } while (cursor && pages.length < 50);
    return pages;
  }

  it('stops a page at BRAIN_MAX_PAGE_BYTES and at limit, and the cursor walks direct and broadcast ones, newest first', async () => {
    const published: string[] = [];
    for (let i = 0; i < 9; i++) {
      const body = { context: { i, filler: 'x'.repeat(20000) } };
      const sent =
        i % 3 === 2
          ? await client.post('/v1/broadcasts', token.nova, body)
          : await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', ...body });
      published.push(sent.body.id);
    }
    await rejectAll(published);
    const newestFirst = [...published].reverse();

    const bySize = await allPages('limit=100');
    expect(bySize.length).toBeGreaterThan(1);
    for (const page of bySize) expect(page.bytes).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    expect(bySize.flatMap((page) => page.items.map((letter) => letter.id))).toEqual(newestFirst);
    expect(bySize.at(-1)!.nextCursor).toBeNull();

    const byLimit = await allPages('limit=2');
    expect(byLimit.map((page) => page.items.length)).toEqual([2, 2, 2, 2, 1]);
    expect(byLimit.flatMap((page) => page.items.map((letter) => letter.id))).toEqual(newestFirst);
  });

  it('answers a cursor it did not hand out with 400 in the contract shape', async () => {
    for (const cursor of ['garbage', 'eyJkIjoieCJ9', '%00']) {
      const response = await client.get(`/v1/agents/dexter/dead-letters?cursor=${cursor}`, token.dexter);
      expect({ status: response.status, body: response.body }).toEqual({
        status: 400,
        body: { statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/cursor/) },
      });
    }
  });
});
