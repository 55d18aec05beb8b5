/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON of any shape; the suites assert their shape with expect(). */
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BrainConfig } from '../../src/config/brain.config';
import { startTestApp } from '../support/test-app';
import { ADMIN_TOKEN, newTestEnvironment, TestEnvironment } from '../support/test-environment';
import { ResponseValidator } from './response-validator';

/** A small HTTP client for the e2e suites: JSON in and out, bearer tokens, and the raw answer for assertions. */
export interface BrainResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (for malformed bodies); overrides `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export class BrainClient {
  constructor(readonly url: string) {}

  async request<T = any>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<BrainResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined = options.rawBody;
    if (payload === undefined && options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${this.url}${path}`, { method, headers, body: payload });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. the Swagger UI page): keep the text
    }
    const problem = (await documentOf(this.url)).check(
      method,
      path,
      response.status,
      response.headers.get('content-type'),
      body,
    );
    // Every answer an e2e suite receives must be one the OpenAPI document describes.
    if (problem) throw new Error(`the answer does not match /docs-json: ${problem}`);
    return { status: response.status, body: body as T, headers: response.headers };
  }

  /**
   * Opens a streaming answer (Server-Sent Events): checks its status and content type against the document and
   * returns the response with its body unread. An answer that is not a stream is read and checked whole instead.
   */
  async stream(path: string, token?: string, headers: Record<string, string> = {}, signal?: AbortSignal) {
    const all: Record<string, string> = { ...headers };
    if (token) all.authorization = `Bearer ${token}`;
    const response = await fetch(`${this.url}${path}`, { headers: all, signal });
    const contentType = response.headers.get('content-type');
    const streaming = response.status === 200 && /^text\/event-stream/.test(contentType ?? '');
    let body: unknown = '';
    if (!streaming) {
      const text = await response.text();
      body = text ? JSON.parse(text) : undefined;
    }
    const problem = (await documentOf(this.url)).check('GET', path, response.status, contentType, body);
    if (problem) throw new Error(`the answer does not match /docs-json: ${problem}`);
    return { response, status: response.status, body, headers: response.headers };
  }

  get<T = any>(path: string, token?: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, { token, headers });
  }

  post<T = any>(path: string, token: string | undefined, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { token, body, headers });
  }

  delete<T = any>(path: string, token?: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, { token, headers });
  }

  /** Registers an agent as the admin and returns its token. */
  async register(adminToken: string, id: string, extra: Record<string, unknown> = {}): Promise<string> {
    const response = await this.post<{ token: string }>('/v1/agents', adminToken, { id, ...extra });
    if (response.status !== 201)
      throw new Error(`registering ${id}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.token;
  }
}

const byUrl = new Map<string, Promise<ResponseValidator>>();
const byDocument = new Map<string, ResponseValidator>();

/** The validator of the document the app at `url` serves; apps serving the same document share compiled schemas. */
function documentOf(url: string): Promise<ResponseValidator> {
  let validator = byUrl.get(url);
  if (!validator) {
    validator = fetch(`${url}/docs-json`).then(async (response) => {
      const text = await response.text();
      if (response.status !== 200) throw new Error(`GET /docs-json answered ${response.status}: ${text}`);
      let shared = byDocument.get(text);
      if (!shared) byDocument.set(text, (shared = new ResponseValidator(JSON.parse(text))));
      return shared;
    });
    validator.catch(() => byUrl.delete(url));
    byUrl.set(url, validator);
  }
  return validator;
}

/** One suite's Brain: its own Redis prefix and database, the app on a random port, a client and agent tokens. */
export interface TestBrain {
  environment: TestEnvironment;
  app: NestFastifyApplication;
  client: BrainClient;
  /** Agent id -> token, for the agents registered at start. */
  token: Record<string, string>;
  close(): Promise<void>;
}

export async function startBrain(
  suite: string,
  options: {
    env?: Record<string, string>;
    agents?: string[];
    start?: (config: BrainConfig) => Promise<{ app: NestFastifyApplication; url: string }>;
  } = {},
): Promise<TestBrain> {
  const environment = newTestEnvironment(suite, options.env);
  const { app, url } = await (options.start ?? startTestApp)(environment.config);
  const client = new BrainClient(url);
  const token: Record<string, string> = {};
  for (const id of options.agents ?? []) token[id] = await client.register(ADMIN_TOKEN, id);
  let closing: Promise<void> | undefined;
  return {
    environment,
    app,
    client,
    token,
    /** Stops the app and removes the suite's keys and database; once, however often it is called. */
    close: () => (closing ??= app.close().then(() => environment.dispose())),
  };
}
