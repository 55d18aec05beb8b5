/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON of any shape; the suites assert their shape with expect(). */
import { request as httpRequest } from 'node:http';
import { connect, Socket } from 'node:net';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { ADMIN_TOKEN, rawRedis, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

/** Issue 11: authentication and connections, where one client must not hurt the others. */

/** A request from a chosen loopback source address (Linux routes all of 127/8 to lo), so "another client". */
function fromAddress(
  url: string,
  localAddress: string,
  path: string,
  token?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}${path}`,
      { localAddress, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: JSON.parse(text || 'null'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** Opens a raw TCP connection; `closed` resolves with the time it was closed by the server. */
function openSocket(
  url: string,
  localAddress = '127.0.0.1',
): Promise<{ socket: Socket; closed: Promise<number> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress });
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.on('error', () => undefined);
    // Read (and drop) what the server sends, so its FIN is seen.
    socket.resume();
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([promise, new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), ms).unref())]);

describe('failed authentication is rate limited per client address (e2e)', () => {
  let brain: TestBrain;

  beforeAll(async () => {
    brain = await startBrain('authfail', { env: { BRAIN_AUTH_FAILURES_PER_MINUTE: '5' } });
  });

  afterAll(() => brain?.close());

  it('answers 429 with Retry-After once an address failed too often, for any token; other addresses go on', async () => {
    const nova = await brain.client.register(ADMIN_TOKEN, 'nova');
    const url = brain.client.url;
    for (let i = 0; i < 5; i += 1) {
      const failed = await fromAddress(url, '127.0.0.3', '/v1/agents', i % 2 ? 'nova.wrong' : 'garbage');
      expect(failed.status).toBe(401);
    }
    const limited = await fromAddress(url, '127.0.0.3', '/v1/agents', 'nova.wrong');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining('too many failed authentications from this address'),
    });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The address's guesses are no longer evaluated, not even a right one, until the window passes.
    expect((await fromAddress(url, '127.0.0.3', '/v1/agents', nova)).status).toBe(429);
    expect((await fromAddress(url, '127.0.0.3', '/v1/agents')).status).toBe(429);
    // Public routes stay open to it.
    expect((await fromAddress(url, '127.0.0.3', '/health/live')).status).toBe(200);
    // Another address is not affected: its right token works, a wrong one is a plain 401.
    expect((await fromAddress(url, '127.0.0.4', '/v1/agents', nova)).status).toBe(200);
    expect((await fromAddress(url, '127.0.0.4', '/v1/agents', 'nova.wrong')).status).toBe(401);
  });

  it('counts failures on /mcp as on /v1, and refuses /mcp to a blocked address', async () => {
    const nova = await brain.client.register(ADMIN_TOKEN, 'mcp-nova');
    const url = brain.client.url;
    for (let i = 0; i < 5; i += 1)
      expect((await fromAddress(url, '127.0.0.6', '/mcp', 'garbage')).status).toBe(401);
    const limited = await fromAddress(url, '127.0.0.6', '/mcp', 'garbage');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await fromAddress(url, '127.0.0.6', '/v1/agents', nova)).status).toBe(429);
    // An address blocked by its /v1 failures may not go on guessing on /mcp either.
    for (let i = 0; i < 6; i += 1) await fromAddress(url, '127.0.0.7', '/v1/agents', 'garbage');
    expect((await fromAddress(url, '127.0.0.7', '/mcp', 'garbage')).status).toBe(429);
    expect((await fromAddress(url, '127.0.0.8', '/mcp', 'garbage')).status).toBe(401);
  });

  it('does not count successful requests', async () => {
    const kai = await brain.client.register(ADMIN_TOKEN, 'kai');
    for (let i = 0; i < 12; i += 1)
      expect((await fromAddress(brain.client.url, '127.0.0.5', '/v1/agents', kai)).status).toBe(200);
    expect((await fromAddress(brain.client.url, '127.0.0.5', '/v1/agents', 'kai.wrong')).status).toBe(401);
  });
});

describe('failed authentication behind a trusted proxy (e2e)', () => {
  let brain: TestBrain;

  beforeAll(async () => {
    brain = await startBrain('authproxy', {
      env: { BRAIN_AUTH_FAILURES_PER_MINUTE: '3', BRAIN_TRUST_PROXY: '127.0.0.1' },
    });
  });

  afterAll(() => brain?.close());

  it('counts the client address the proxy reports, so one client behind it does not lock out the others', async () => {
    const nova = await brain.client.register(ADMIN_TOKEN, 'nova');
    const via = (client: string) => ({ 'x-forwarded-for': client });
    for (let i = 0; i < 3; i += 1)
      expect((await brain.client.get('/v1/agents', 'nova.wrong', via('203.0.113.9'))).status).toBe(401);
    expect((await brain.client.get('/v1/agents', 'nova.wrong', via('203.0.113.9'))).status).toBe(429);
    expect((await brain.client.get('/v1/agents', nova, via('203.0.113.9'))).status).toBe(429);
    expect((await brain.client.get('/v1/agents', nova, via('198.51.100.20'))).status).toBe(200);
    expect((await brain.client.get('/v1/agents', nova)).status).toBe(200);
  });
});

describe('failed authentication behind a hop count of trusted proxies (e2e)', () => {
  let brain: TestBrain;

  beforeAll(async () => {
    brain = await startBrain('authhops', {
      env: { BRAIN_AUTH_FAILURES_PER_MINUTE: '3', BRAIN_TRUST_PROXY: '1' },
    });
  });

  afterAll(() => brain?.close());

  it('counts the address the nearest proxy reports, whatever a client puts before it', async () => {
    const nova = await brain.client.register(ADMIN_TOKEN, 'nova');
    const via = (forwarded: string) => ({ 'x-forwarded-for': forwarded });
    const wrong = (spoofed: string) =>
      brain.client.get('/v1/agents', 'nova.wrong', via(`${spoofed}, 203.0.113.9`));
    for (let i = 0; i < 3; i += 1) expect((await wrong(`10.0.0.${i}`)).status).toBe(401);
    expect((await wrong('10.0.0.9')).status).toBe(429);
    expect((await brain.client.get('/v1/agents', nova, via('10.9.9.9, 203.0.113.9'))).status).toBe(429);
    expect((await brain.client.get('/v1/agents', nova, via('203.0.113.9, 198.51.100.20'))).status).toBe(200);
  });
});

describe('responses that carry a token (e2e)', () => {
  let brain: TestBrain;

  beforeAll(async () => {
    brain = await startBrain('nostore');
  });

  afterAll(() => brain?.close());

  it('are never stored by a cache (Cache-Control: no-store)', async () => {
    const registered = await brain.client.post('/v1/agents', ADMIN_TOKEN, { id: 'nova' });
    expect(registered.status).toBe(201);
    expect(registered.headers.get('cache-control')).toBe('no-store');
    const rotated = await brain.client.post('/v1/agents/nova/token', ADMIN_TOKEN);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
  });
});

describe('slow and surplus connections (e2e)', () => {
  let brain: TestBrain;

  beforeAll(async () => {
    brain = await startBrain('slowconn', {
      env: {
        BRAIN_HEADERS_TIMEOUT_MS: '1000',
        BRAIN_REQUEST_TIMEOUT_MS: '2000',
        BRAIN_KEEP_ALIVE_TIMEOUT_MS: '1000',
        BRAIN_MAX_CONNECTIONS: '40',
        BRAIN_MAX_CONNECTIONS_PER_ADDRESS: '10',
      },
      agents: ['nova'],
    });
  });

  afterAll(() => brain?.close());

  /** Sends `start`, then `drip` every 200 ms; resolves how long the server took to close the socket (or 'timeout'). */
  async function dripUntilClosed(start: string, drip: string, giveUpMs: number): Promise<number | 'timeout'> {
    const { socket, closed } = await openSocket(brain.client.url);
    const openedAt = Date.now();
    socket.write(start);
    const dripping = setInterval(() => socket.write(drip), 200);
    try {
      const at = await within(closed, giveUpMs);
      return at === 'timeout' ? at : at - openedAt;
    } finally {
      clearInterval(dripping);
      socket.destroy();
    }
  }

  it('closes a socket that drips its headers, after the header timeout', async () => {
    const tookMs = await dripUntilClosed(
      'GET /health/live HTTP/1.1\r\nHost: brain\r\n',
      'X-Drip: 1\r\n',
      6000,
    );
    expect(tookMs).not.toBe('timeout');
    expect(tookMs).toBeLessThan(4000);
  });

  it('closes a socket that drips its body, after the request timeout', async () => {
    const start =
      `POST /v1/agents HTTP/1.1\r\nHost: brain\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{';
    const tookMs = await dripUntilClosed(start, ' ', 8000);
    expect(tookMs).not.toBe('timeout');
    expect(tookMs).toBeLessThan(5000);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { socket, closed } = await openSocket(brain.client.url);
    socket.write('GET /health/live HTTP/1.1\r\nHost: brain\r\n\r\n');
    const answered = Date.now();
    const at = await within(closed, 6000);
    socket.destroy();
    expect(at).not.toBe('timeout');
    expect((at as number) - answered).toBeLessThan(4000);
  });

  it('does not cut a long poll that waits longer than the request timeouts', async () => {
    const started = Date.now();
    const poll = await brain.client.get('/v1/agents/nova/messages?wait=3500', brain.token.nova);
    expect(poll.status).toBe(200);
    expect(poll.body.items).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  });

  it('caps the connections of one address, and all of them, while other clients still get answers', async () => {
    const hog: Awaited<ReturnType<typeof openSocket>>[] = [];
    try {
      for (let i = 0; i < 10; i += 1) hog.push(await openSocket(brain.client.url, '127.0.0.6'));
      // Over its share, the address's next connection is closed at once.
      const extra = await openSocket(brain.client.url, '127.0.0.6');
      hog.push(extra);
      expect(await within(extra.closed, 3000)).not.toBe('timeout');
      // Its first ten are still open, and another address is served.
      expect(await within(Promise.race(hog.slice(0, 10).map((s) => s.closed)), 200)).toBe('timeout');
      expect((await fromAddress(brain.client.url, '127.0.0.7', '/health/live')).status).toBe(200);

      // The cap over all addresses: 40 connections, then new ones are refused.
      for (let a = 8; a < 11; a += 1)
        for (let i = 0; i < 10; i += 1) hog.push(await openSocket(brain.client.url, `127.0.0.${a}`));
      const surplus = await openSocket(brain.client.url, '127.0.0.12');
      hog.push(surplus);
      expect(await within(surplus.closed, 3000)).not.toBe('timeout');
    } finally {
      for (const { socket } of hog) socket.destroy();
    }
    // Once they are gone, everyone is served again.
    await waitFor(
      async () => (await fromAddress(brain.client.url, '127.0.0.12', '/health/live')).status === 200,
      'a connection to be accepted again',
    );
  });
});

describe('deleting an agent while its token is rotated (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;

  beforeAll(async () => {
    // Every old token is tried below: those 401s must not trip the failed-authentication limit.
    brain = await startBrain('ghosts', { env: { BRAIN_AUTH_FAILURES_PER_MINUTE: '0' } });
    client = brain.client;
  });

  afterAll(() => brain?.close());

  it('leaves no token of the deleted agent working, whatever the interleaving', async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `ghost-${i}`);
    const rounds = await Promise.all(
      ids.map(async (id, i) => {
        const tokens = [await client.register(ADMIN_TOKEN, id)];
        const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const rotate = async (delayMs: number) => {
          await pause(delayMs);
          const response = await client.post(`/v1/agents/${id}/token`, ADMIN_TOKEN);
          if (response.status === 200) tokens.push(response.body.token);
          return response.status;
        };
        const [deleted, ...rotated] = await Promise.all([
          pause(i % 4).then(() => client.delete(`/v1/agents/${id}`, ADMIN_TOKEN)),
          rotate(0),
          rotate(2),
          rotate(5),
          rotate(10),
        ]);
        return { id, tokens, deleted: deleted.status, rotated };
      }),
    );
    const redis = rawRedis(brain.environment.config);
    const keys = new RedisKeys(brain.environment.config.redis.prefix);
    try {
      const members = await redis.hkeys(keys.broadcastMembers());
      for (const round of rounds) {
        expect(round.deleted).toBe(204);
        for (const status of round.rotated) expect([200, 404]).toContain(status);
        expect((await client.get(`/v1/agents/${round.id}`, ADMIN_TOKEN)).status).toBe(404);
        for (const token of round.tokens) {
          expect({ id: round.id, status: (await client.get('/v1/agents', token)).status }).toEqual({
            id: round.id,
            status: 401,
          });
        }
        expect(members).not.toContain(round.id);
        expect(await redis.exists(keys.agentMeta(round.id))).toBe(0);
      }
    } finally {
      redis.disconnect();
    }
  });
});
