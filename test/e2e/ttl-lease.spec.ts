import { randomUUID } from 'node:crypto';
import { sample } from '../support/prometheus-text';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
type Items = { body: { items: { id: string; deliveryCount: number }[] } };
const ids = (response: Items) => response.body.items.map((m) => m.id);

/** The contract's v1.1 `ttlSeconds` publishing option and `POST /v1/messages/{id}/lease`. */
describe('message TTL and lease extension (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;

  beforeAll(async () => {
    brain = await startBrain('ttllease', {
      env: { BRAIN_VISIBILITY_TIMEOUT_MS: '1000', BRAIN_RETENTION_HOURS: '1' },
      agents: ['nova', 'dexter', 'kai'],
    });
    ({ client, token } = brain);
  });

  afterAll(() => brain?.close());

  const peek = (agent: string) => client.get(`/v1/agents/${agent}/messages?count=100`, token[agent]);
  const lease = (agent: string, consumer: string) =>
    client.get(`/v1/agents/${agent}/messages?count=100&consumer=${consumer}`, token[agent]);
  const status = async (id: string) => (await client.get(`/v1/messages/${id}`, ADMIN_TOKEN)).body;
  const pendingTotal = async () =>
    (await client.get('/v1/stats', ADMIN_TOKEN)).body.pendingMessages as number;
  const expiredCount = async (agent: string) =>
    sample(
      await (await fetch(`${client.url}/metrics`)).text(),
      `brain_contextsync_messages_total{agent="${agent}",status="expired"}`,
    ) ?? 0;
  const extend = (id: string, agent: string, body: Record<string, unknown>, as = token[agent]) =>
    client.post(`/v1/messages/${id}/lease`, as, body);

  describe('ttlSeconds', () => {
    it('shows expiresAt, then hides the message from peek, lease and long poll; status says expired; history keeps it', async () => {
      const before = await pendingTotal();
      const expiredBefore = await expiredCount('dexter');
      const sent = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: { offer: 'valid for a second' },
        ttlSeconds: 1,
      });
      expect(sent.status).toBe(201);
      const id = sent.body.id as string;
      expect(sent.body.expiresAt).toMatch(ISO);
      expect(Date.parse(sent.body.expiresAt) - Date.parse(sent.body.timestamp)).toBe(1000);
      const plain = await client.post('/v1/messages', token.nova, { targetAgent: 'dexter', context: {} });
      expect(plain.body.expiresAt).toBeNull();

      expect(ids(await peek('dexter'))).toContain(id);
      expect((await peek('dexter')).body.items.find((m: { id: string }) => m.id === id).expiresAt).toBe(
        sent.body.expiresAt,
      );
      expect(await pendingTotal()).toBe(before + 2);
      expect((await status(id)).status).toMatchObject({ pendingFor: ['dexter'], expired: false });

      await waitFor(async () => !ids(await peek('dexter')).includes(id), 'the message to expire for peeks');
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(sent.body.expiresAt));
      expect(ids(await lease('dexter', 'c1'))).toEqual([plain.body.id]);
      const polled = await client.get('/v1/agents/dexter/messages?wait=300&consumer=c1', token.dexter);
      expect(polled.body.items).toEqual([]);

      const after = await status(id);
      expect(after.expiresAt).toBe(sent.body.expiresAt);
      expect(after.status).toEqual({
        acknowledged: false,
        acknowledgedBy: [],
        pendingFor: [],
        deadLetteredFor: [],
        expired: true,
      });
      // The expired message counts no more; the plain one is leased, still pending until acknowledged.
      expect(await pendingTotal()).toBe(before + 1);
      expect(await expiredCount('dexter')).toBe(expiredBefore + 1);
      expect((await client.post(`/v1/messages/${plain.body.id}/ack`, token.dexter, {})).status).toBe(200);
      expect(await pendingTotal()).toBe(before);

      await waitFor(async () => {
        const history = await client.get('/v1/conversations/nova/dexter', token.nova);
        return history.body.items.some((m: { messageId: string }) => m.messageId === id);
      }, 'the expired message in the history');
    });

    it('expires a message that was leased before and not acknowledged', async () => {
      const sent = await client.post('/v1/messages', token.nova, {
        targetAgent: 'kai',
        context: {},
        ttlSeconds: 1,
      });
      const before = await pendingTotal();
      expect(ids(await lease('kai', 'k1'))).toEqual([sent.body.id]);
      await waitFor(async () => (await status(sent.body.id)).status.expired, 'the TTL to pass');
      expect((await status(sent.body.id)).status.pendingFor).toEqual([]);
      // Past its TTL it is not handed out again; it stops counting as pending once its lease ran out and kai reads.
      expect(ids(await lease('kai', 'k2'))).toEqual([]);
      await waitFor(async () => {
        expect(ids(await lease('kai', 'k2'))).toEqual([]);
        return (await pendingTotal()) === before - 1;
      }, 'the expired message to leave the pending count');
      expect(await expiredCount('kai')).toBe(1);
    });

    it('expires a broadcast for every member, including one that never read', async () => {
      const sent = await client.post('/v1/broadcasts', token.nova, { context: { flash: 1 }, ttlSeconds: 1 });
      expect(sent.status).toBe(201);
      expect(sent.body.expiresAt).toMatch(ISO);
      expect(ids(await peek('dexter'))).toContain(sent.body.id);
      expect((await status(sent.body.id)).status.pendingFor).toEqual(['dexter', 'kai']);
      await waitFor(async () => !ids(await peek('dexter')).includes(sent.body.id), 'expiry for dexter');
      expect(ids(await lease('dexter', 'c1'))).not.toContain(sent.body.id);
      const after = await status(sent.body.id);
      expect(after.status).toMatchObject({ pendingFor: [], expired: true, acknowledged: false });
      expect(ids(await peek('kai'))).not.toContain(sent.body.id);
    });

    it('refuses a TTL beyond the retention, or not a positive integer, writing nothing', async () => {
      const pendingBefore = ids(await peek('dexter'));
      for (const ttlSeconds of [3601, 0, 1.5, '10']) {
        for (const [path, extra] of [
          ['/v1/messages', { targetAgent: 'dexter' }],
          ['/v1/broadcasts', {}],
        ] as const) {
          const refused = await client.post(path, token.nova, { ...extra, context: {}, ttlSeconds });
          expect(refused.status).toBe(400);
          expect(refused.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
          expect(refused.body.message).toContain('ttlSeconds');
        }
      }
      expect(ids(await peek('dexter'))).toEqual(pendingBefore);
      const longest = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: {},
        ttlSeconds: 3600,
      });
      expect(longest.status).toBe(201);
      await client.post(`/v1/messages/${longest.body.id}/ack`, token.dexter, {});
    });
  });

  describe('POST /v1/messages/{id}/lease', () => {
    it('holds a direct message beyond the visibility timeout until leasedUntil, then hands it out again', async () => {
      const sent = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: { llm: 1 },
      });
      const id = sent.body.id as string;
      expect(ids(await lease('dexter', 'w1'))).toContain(id);

      const started = Date.now();
      const extended = await extend(id, 'dexter', { consumer: 'w1', extendMs: 5000 });
      expect(extended.status).toBe(200);
      expect(extended.body).toEqual({ id, consumer: 'w1', leasedUntil: expect.stringMatching(ISO) });
      const until = Date.parse(extended.body.leasedUntil);
      expect(until).toBeGreaterThanOrEqual(started + 5000);
      expect(until).toBeLessThanOrEqual(Date.now() + 5000);

      // Another consumer of dexter cannot take it over, nor extend it.
      const taken = await extend(id, 'dexter', { consumer: 'w2', extendMs: 1000 });
      expect(taken.status).toBe(409);
      expect(taken.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: expect.stringContaining(id),
      });

      // Well past the visibility timeout (1 s), w2 still does not get it...
      await waitFor(async () => {
        expect(ids(await lease('dexter', 'w2'))).not.toContain(id);
        return Date.now() - started > 2500;
      }, 'the visibility timeout to pass twice');
      // ...until leasedUntil; then it is handed out again, one more delivery.
      const redelivered = await waitFor(async () => {
        const items = (await lease('dexter', 'w2')).body.items as { id: string; deliveryCount: number }[];
        return items.find((m) => m.id === id);
      }, 'the message to be handed out again after leasedUntil');
      expect(Date.now()).toBeGreaterThanOrEqual(until);
      expect(redelivered.deliveryCount).toBe(2);

      // w1 lost it: extending answers 404; w2 holds it now, so w1 even gets 409.
      const lost = await extend(id, 'dexter', { consumer: 'w1', extendMs: 1000 });
      expect(lost.status).toBe(409);
      expect((await extend(id, 'dexter', { consumer: 'w2', extendMs: 10 })).status).toBe(200);
      expect((await client.post(`/v1/messages/${id}/ack`, token.dexter, {})).status).toBe(200);
      expect((await extend(id, 'dexter', { consumer: 'w2', extendMs: 1000 })).status).toBe(404);
    });

    it('a short extension ends the lease at leasedUntil even within the visibility timeout', async () => {
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'kai', context: {} });
      expect(ids(await lease('kai', 'a'))).toEqual([sent.body.id]);
      const extended = await extend(sent.body.id, 'kai', { consumer: 'a', extendMs: 1 });
      expect(extended.status).toBe(200);
      const again = await waitFor(
        async () => ids(await lease('kai', 'b')).length > 0 && Date.now(),
        'release',
      );
      expect(again).toBeGreaterThanOrEqual(Date.parse(extended.body.leasedUntil));
      await client.post(`/v1/messages/${sent.body.id}/ack`, token.kai, {});
    });

    it('answers 404 when this consumer does not hold it: peeked only, unknown, not addressed, acknowledged', async () => {
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'kai', context: {} });
      const id = sent.body.id as string;
      expect(ids(await peek('kai'))).toEqual([id]);
      const notHeld = await extend(id, 'kai', { consumer: 'k1', extendMs: 1000 });
      expect(notHeld.status).toBe(404);
      expect(notHeld.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: expect.stringContaining(id),
      });
      expect((await extend(randomUUID(), 'kai', { consumer: 'k1', extendMs: 1000 })).status).toBe(404);
      expect(ids(await lease('kai', 'k1'))).toEqual([id]);
      expect((await extend(id, 'dexter', { consumer: 'k1', extendMs: 1000 })).status).toBe(404);
      // The admin names the recipient, as for an ack.
      const byAdmin = await extend(
        id,
        'kai',
        { consumer: 'k1', extendMs: 1000, agentId: 'kai' },
        ADMIN_TOKEN,
      );
      expect(byAdmin.status).toBe(200);
      expect((await extend(id, 'kai', { consumer: 'k1', extendMs: 1000 }, ADMIN_TOKEN)).status).toBe(400);
      expect(
        (await extend(id, 'kai', { consumer: 'k1', extendMs: 1000, agentId: 'kai' }, token.nova)).status,
      ).toBe(403);
      await client.post(`/v1/messages/${id}/ack`, token.kai, {});
      expect((await extend(id, 'kai', { consumer: 'k1', extendMs: 1000 })).status).toBe(404);
    });

    it('refuses a bad body with 400', async () => {
      const id = randomUUID();
      for (const body of [
        { consumer: 'w1' },
        { extendMs: 1000 },
        { consumer: 'w1', extendMs: 0 },
        { consumer: 'w1', extendMs: 3600001 },
        { consumer: 'w1', extendMs: 10.5 },
        { consumer: 'bad consumer', extendMs: 1000 },
        { consumer: 'w1', extendMs: 1000, extra: true },
      ]) {
        const refused = await extend(id, 'dexter', body);
        expect(refused.status).toBe(400);
      }
    });

    it('accepts the bounds of extendMs: 1 and 3600000 (an hour)', async () => {
      const sent = await client.post('/v1/messages', token.nova, { targetAgent: 'kai', context: {} });
      const id = sent.body.id as string;
      expect(ids(await lease('kai', 'h1'))).toEqual([id]);
      const before = Date.now();
      const hour = await extend(id, 'kai', { consumer: 'h1', extendMs: 3_600_000 });
      expect(hour.status).toBe(200);
      expect(Date.parse(hour.body.leasedUntil)).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(Date.parse(hour.body.leasedUntil)).toBeLessThanOrEqual(Date.now() + 3_600_000);
      expect((await extend(id, 'kai', { consumer: 'h1', extendMs: 1 })).status).toBe(200);
      await client.post(`/v1/messages/${id}/ack`, token.kai, {});
    });

    it('extends a broadcast lease per member', async () => {
      const sent = await client.post('/v1/broadcasts', token.nova, { context: { all: 1 } });
      const id = sent.body.id as string;
      expect(ids(await lease('dexter', 'd1'))).toContain(id);
      expect(ids(await lease('kai', 'k1'))).toContain(id);
      const started = Date.now();
      const extended = await extend(id, 'dexter', { consumer: 'd1', extendMs: 3000 });
      expect(extended.status).toBe(200);
      expect((await extend(id, 'dexter', { consumer: 'd2', extendMs: 3000 })).status).toBe(409);
      expect((await extend(id, 'nova', { consumer: 'n1', extendMs: 3000 })).status).toBe(404);

      // kai's lease was not extended: its other consumer gets it after the visibility timeout; dexter's does not.
      await waitFor(async () => ids(await lease('kai', 'k2')).includes(id), 'kai to get it again');
      expect(ids(await lease('dexter', 'd2'))).not.toContain(id);
      expect(Date.now() - started).toBeLessThan(3000);
      await waitFor(async () => ids(await lease('dexter', 'd2')).includes(id), 'dexter to get it again');
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(extended.body.leasedUntil));
      await client.post(`/v1/messages/${id}/ack`, token.dexter, {});
      await client.post(`/v1/messages/${id}/ack`, token.kai, {});
    });
  });
});
