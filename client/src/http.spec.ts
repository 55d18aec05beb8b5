import { BrainConnectionError, NotFoundError, RateLimitedError, UnavailableError } from './errors';
import { HttpTransport, RequestSpec } from './http';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that answers from a script and records what it was asked. */
function scriptedFetch(replies: Reply[]) {
  const calls: { url: string; init: RequestInit; at: number }[] = [];
  const fetch = (url: string, init?: RequestInit): Promise<Response> => {
    calls.push({ url, init: init ?? {}, at: Date.now() });
    const reply = replies.shift();
    if (!reply) throw new Error('no more replies scripted');
    if (reply instanceof Error) return Promise.reject(reply);
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    return Promise.resolve(
      new Response(reply.status === 204 ? null : text, { status: reply.status, headers: reply.headers }),
    );
  };
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

const refused = () => new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
const post: RequestSpec = { method: 'POST', path: '/v1/messages', body: { id: 'x' }, idempotent: true };
const retry = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

describe('HttpTransport', () => {
  it('retries network errors, 429 and 503 with the same request, then answers', async () => {
    const { fetch, calls } = scriptedFetch([
      refused(),
      { status: 429, body: { statusCode: 429, error: 'Too Many Requests', message: 'slow' } },
      { status: 503, body: { statusCode: 503, error: 'Service Unavailable', message: 'redis' } },
      { status: 201, body: { id: 'x' } },
    ]);
    const http = new HttpTransport({ baseUrl: 'http://brain.test/', token: 't', retry, fetch });
    await expect(http.request(post)).resolves.toEqual({ id: 'x' });
    expect(calls.map((call) => call.init.body)).toEqual(Array(4).fill('{"id":"x"}'));
    expect(calls.every((call) => call.url === 'http://brain.test/v1/messages')).toBe(true);
    expect((calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer t');
  });

  it('waits out a Retry-After before trying again', async () => {
    const { fetch, calls } = scriptedFetch([
      {
        status: 429,
        body: { statusCode: 429, error: 'Too Many Requests', message: 'slow' },
        headers: { 'retry-after': '1' },
      },
      { status: 200, body: {} },
    ]);
    const http = new HttpTransport({
      baseUrl: 'http://brain.test',
      retry: { ...retry, maxDelayMs: 2000 },
      fetch,
    });
    await http.request(post);
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(990);
  });

  it('gives up after maxAttempts with the last typed error', async () => {
    const busy = {
      status: 503,
      body: { statusCode: 503, error: 'Service Unavailable', message: 'down' },
      headers: { 'retry-after': '0' },
    };
    const { fetch, calls } = scriptedFetch([busy, busy, busy, busy]);
    const http = new HttpTransport({ baseUrl: 'http://brain.test', retry, fetch });
    const error = await http.request(post).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).retryAfterMs).toBe(0);
    expect(calls).toHaveLength(4);
  });

  it('does not repeat a request that is not idempotent after a network error, nor any 4xx', async () => {
    const first = scriptedFetch([refused()]);
    const http = new HttpTransport({ baseUrl: 'http://brain.test', retry, fetch: first.fetch });
    const error = await http.request({ ...post, idempotent: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrainConnectionError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(first.calls).toHaveLength(1);

    const second = scriptedFetch([
      {
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: "agent 'zed' is not registered" },
      },
    ]);
    const again = new HttpTransport({ baseUrl: 'http://brain.test', retry, fetch: second.fetch });
    await expect(again.request(post)).rejects.toThrow(NotFoundError);
    expect(second.calls).toHaveLength(1);
  });

  it('stops retrying as soon as the caller aborts', async () => {
    const { fetch, calls } = scriptedFetch([
      {
        status: 429,
        body: { statusCode: 429, error: 'Too Many Requests', message: 'slow' },
        headers: { 'retry-after': '30' },
      },
    ]);
    const http = new HttpTransport({
      baseUrl: 'http://brain.test',
      retry: { ...retry, maxDelayMs: 60000 },
      fetch,
    });
    const controller = new AbortController();
    const pending = http.request({ ...post, signal: controller.signal }).catch((e: unknown) => e);
    setImmediate(() => controller.abort(new Error('caller gave up')));
    expect(await pending).toEqual(new Error('caller gave up'));
    expect(calls).toHaveLength(1);
  });

  it('sends query parameters, skipping undefined ones, and reads 204 as nothing', async () => {
    const { fetch, calls } = scriptedFetch([{ status: 204 }]);
    const http = new HttpTransport({ baseUrl: 'http://brain.test/base', fetch });
    const answer = await http.request({
      method: 'GET',
      path: '/v1/x',
      query: { a: 1, b: undefined, c: 'd e' },
      idempotent: true,
    });
    expect(answer).toBeUndefined();
    expect(calls[0].url).toBe('http://brain.test/base/v1/x?a=1&c=d+e');
  });

  it('maps a 429 without Retry-After', async () => {
    const { fetch } = scriptedFetch([
      { status: 429, body: { statusCode: 429, error: 'Too Many Requests', message: 'slow' } },
    ]);
    const http = new HttpTransport({ baseUrl: 'http://brain.test', retry: { maxAttempts: 1 }, fetch });
    const error = await http.request(post).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeUndefined();
  });
});
