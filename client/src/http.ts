import { BrainConnectionError, errorFromResponse, RateLimitedError, UnavailableError } from './errors';
import { backoffDelay, parseRetryAfter, RetryOptions, RetryPolicy, retryPolicy, sleep } from './retry';

export interface TransportOptions {
  /** Where Brain answers, e.g. `http://127.0.0.1:3000` (a path prefix is kept). */
  baseUrl: string;
  /** An agent token or the admin token; sent as `Authorization: Bearer`. */
  token?: string;
  retry?: RetryOptions;
  /** Per attempt, on top of a long poll's `wait` (default 30000 ms). */
  timeoutMs?: number;
  /** Another fetch (tests, proxies); default the global fetch of Node 20. */
  fetch?: typeof fetch;
}

export type QueryValue = string | number | boolean | undefined;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Whether sending it twice has the effect of sending it once. Only such requests are retried after a network
   * error (the server may have acted on the first one); 429 and 503 are retried always, as nothing was done.
   */
  idempotent: boolean;
  /** Aborts the request and any wait between attempts. */
  signal?: AbortSignal;
  /** Added to the per-attempt timeout: a long poll's `wait`. */
  extraTimeoutMs?: number;
  /** How the answer is read (default json). */
  responseType?: 'json' | 'text';
}

/** One HTTP exchange with Brain at a time, with retries; knows nothing of routes. */
export class HttpTransport {
  private readonly baseUrl: string;
  private readonly policy: RetryPolicy;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.policy = retryPolicy(options.retry);
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs ?? 30000;
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt<T>(spec);
      } catch (error) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (attempt >= this.policy.maxAttempts || !this.retryable(error, spec)) throw error;
        const retryAfterMs =
          error instanceof RateLimitedError || error instanceof UnavailableError
            ? error.retryAfterMs
            : undefined;
        await sleep(backoffDelay(this.policy, attempt, retryAfterMs), spec.signal);
      }
    }
  }

  /**
   * One attempt at a streaming GET (Server-Sent Events): the response with its body unread when it answers 200,
   * else the typed error (with Retry-After) or a {@link BrainConnectionError}. No retries: the caller reconnects.
   */
  async openStream(spec: Omit<RequestSpec, 'method' | 'body' | 'idempotent'>): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...spec.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    // Only the wait for the answer's head is timed; the stream itself lives until `signal` aborts.
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const connecting = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    const aborter = new AbortController();
    const onAbort = () => aborter.abort(connecting.reason);
    connecting.addEventListener('abort', onAbort, { once: true });
    let response: Response;
    try {
      response = await this.fetch(this.url(spec), { method: 'GET', headers, signal: aborter.signal });
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      throw connectionError('GET', spec.path, error);
    } finally {
      connecting.removeEventListener('abort', onAbort);
    }
    spec.signal?.addEventListener('abort', () => aborter.abort(spec.signal?.reason), { once: true });
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    throw errorFromResponse(
      response.status,
      parseBody(text),
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }

  private retryable(error: unknown, spec: RequestSpec): boolean {
    if (error instanceof RateLimitedError || error instanceof UnavailableError) return true;
    return error instanceof BrainConnectionError && spec.idempotent;
  }

  private async attempt<T>(spec: RequestSpec): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...spec.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = AbortSignal.timeout(this.timeoutMs + (spec.extraTimeoutMs ?? 0));
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(this.url(spec), { method: spec.method, headers, body, signal });
      text = await response.text();
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      throw connectionError(spec.method, spec.path, error);
    }
    if (response.ok) {
      if (spec.responseType === 'text') return text as T;
      return (text.length > 0 ? JSON.parse(text) : undefined) as T;
    }
    throw errorFromResponse(
      response.status,
      parseBody(text),
      parseRetryAfter(response.headers.get('retry-after')),
    );
  }

  private url(spec: Pick<RequestSpec, 'path' | 'query'>): string {
    const url = new URL(this.baseUrl + spec.path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }
}

function connectionError(method: string, path: string, error: unknown): BrainConnectionError {
  const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : error;
  return new BrainConnectionError(
    `${method} ${path}: ${reason instanceof Error ? reason.message : String(reason)}`,
    error,
  );
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
