/* eslint-disable @typescript-eslint/no-explicit-any -- tool answers are JSON of any shape; the tests assert their shape. */
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { McpSessions } from '../../src/mcp/mcp-sessions.service';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { startBrain, TestBrain } from './brain-client';

const TOOLS = [
  'acknowledge',
  'broadcast',
  'check_inbox',
  'conversation',
  'list_agents',
  'recall',
  'remember',
  'route_message',
  'send_message',
];

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Calls the tool and returns its JSON; fails the test on a tool error. */
  data(name: string, args?: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

async function connect(url: string, token: string): Promise<Connection> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'brain-e2e', version: '1.0.0' });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    client,
    transport,
    call,
    data: async (name, args) => {
      const result = await call(name, args);
      if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
      expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual(result.structuredContent);
      return result.structuredContent;
    },
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

const errorText = (result: CallToolResult) => {
  expect(result.isError).toBe(true);
  return (result.content[0] as { text: string }).text;
};

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** A raw MCP HTTP request, for what the SDK client would not send. */
async function rawMcp(
  url: string,
  method: string,
  options: { token?: string; sessionId?: string; body?: unknown } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.sessionId) headers['mcp-session-id'] = options.sessionId;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}/mcp`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // an SSE or empty answer: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

describe('MCP server at /mcp (e2e)', () => {
  let brain: TestBrain;
  let url: string;
  let nova: Connection;
  let dexter: Connection;
  let kai: Connection;

  beforeAll(async () => {
    brain = await startBrain('mcp', { agents: ['nova', 'dexter', 'kai'] });
    url = brain.client.url;
    nova = await connect(url, brain.token.nova);
    dexter = await connect(url, brain.token.dexter);
    kai = await connect(url, brain.token.kai);
  });

  afterAll(async () => {
    for (const connection of [nova, dexter, kai]) await connection?.close();
    await brain?.close();
  });

  /** Takes and acknowledges whatever is waiting for the agent. */
  async function drain(connection: Connection): Promise<void> {
    const inbox = await connection.data('check_inbox', { count: 1000 });
    const ids = inbox.items.map((message: { id: string }) => message.id);
    if (ids.length > 0) await connection.data('acknowledge', { ids });
  }

  it('lists the nine tools, each with a description and an input schema mirroring the REST rules', async () => {
    const { tools } = await nova.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(80);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.inputSchema.additionalProperties).toBe(false);
    }
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool.inputSchema as any]));
    expect(byName.send_message.required.sort()).toEqual(['context', 'targetAgent']);
    expect(byName.send_message.properties.targetAgent.pattern).toBe('^[a-z0-9][a-z0-9_-]{0,63}$');
    expect(byName.send_message.properties.priority.enum).toEqual(['critical', 'high', 'medium', 'low']);
    expect(byName.check_inbox.properties.count).toMatchObject({ minimum: 1, maximum: 1000 });
    expect(byName.check_inbox.properties.wait).toMatchObject({ minimum: 0, maximum: 30000 });
    expect(byName.remember.properties.tags).toMatchObject({ type: 'array', maxItems: 32 });
    expect(byName.acknowledge.properties.ids).toMatchObject({ minItems: 1, maxItems: 1000 });
  });

  it('send_message reaches the target; check_inbox leases it as consumer mcp; acknowledge ends it', async () => {
    await drain(dexter);
    const sent = await nova.data('send_message', {
      targetAgent: 'dexter',
      context: { query: 'Q3 sales', constructor: 'kept' },
      priority: 'high',
      type: 'sales_data',
    });
    expect(sent).toMatchObject({
      fromAgent: 'nova',
      toAgent: 'dexter',
      priority: 'high',
      type: 'sales_data',
    });

    const inbox = await dexter.data('check_inbox');
    expect(inbox.items).toEqual([
      { ...sent, payload: { query: 'Q3 sales', constructor: 'kept' }, deliveryCount: 1 },
    ]);
    // Leased to consumer mcp: not handed out again while the lease holds, but still pending (a peek sees it).
    expect((await dexter.data('check_inbox')).items).toEqual([]);
    const peek = await brain.client.get('/v1/agents/dexter/messages', brain.token.dexter);
    expect(peek.body.items.map((m: { id: string }) => m.id)).toEqual([sent.id]);

    const ack = await dexter.data('acknowledge', { messageId: sent.id.toUpperCase() });
    expect(ack).toMatchObject({ id: sent.id, agentId: 'dexter', acknowledged: true });
    const status = await brain.client.get(`/v1/messages/${sent.id}`, brain.token.nova);
    expect(status.body.status).toMatchObject({ acknowledged: true, acknowledgedBy: ['dexter'] });
  });

  it('a repeated id sends nothing new; check_inbox with wait answers when a message arrives', async () => {
    await drain(kai);
    const id = randomUUID();
    const first = await nova.data('send_message', { targetAgent: 'kai', context: { n: 1 }, id });
    const again = await nova.data('send_message', { targetAgent: 'kai', context: { n: 1 }, id });
    expect(again).toEqual(first);
    expect((await kai.data('check_inbox', { count: 10 })).items.map((m: any) => m.id)).toEqual([id]);
    await kai.data('acknowledge', { ids: [id] });

    const waiting = kai.data('check_inbox', { wait: 10000 });
    const later = await dexter.data('send_message', { targetAgent: 'kai', context: { n: 2 } });
    expect((await waiting).items.map((m: any) => m.id)).toEqual([later.id]);
    expect(await kai.data('acknowledge', { ids: [later.id] })).toEqual({ acknowledged: 1 });
  });

  it('broadcast reaches every other agent', async () => {
    await drain(dexter);
    await drain(kai);
    const sent = await nova.data('broadcast', { context: { news: 'release on friday' }, priority: 'low' });
    expect(sent).toMatchObject({ fromAgent: 'nova', toAgent: 'broadcast', priority: 'low' });
    for (const connection of [dexter, kai]) {
      expect((await connection.data('check_inbox')).items.map((m: any) => m.id)).toEqual([sent.id]);
      await connection.data('acknowledge', { messageId: sent.id });
    }
    expect((await nova.data('check_inbox')).items.map((m: any) => m.id)).not.toContain(sent.id);
  });

  it('remember stores a memory that recall finds; private ones stay hidden from other agents', async () => {
    const shared = await nova.data('remember', {
      context: { region: 'EMEA', revenue: 1250000 },
      type: 'sales_data',
      tags: ['q3', 'emea'],
    });
    expect(shared).toMatchObject({
      agentId: 'nova',
      kind: 'context',
      visibility: 'shared',
      tags: ['q3', 'emea'],
    });
    const secret = await nova.data('remember', { context: { plan: 'secret' }, visibility: 'private' });

    const own = await nova.data('recall', { tags: ['q3'], q: 'EMEA' });
    expect(own.items.map((r: any) => r.id)).toEqual([shared.id]);
    expect((await nova.data('recall', {})).items.map((r: any) => r.id)).toEqual([secret.id, shared.id]);
    const seenByDexter = await dexter.data('recall', { agentId: 'nova' });
    expect(seenByDexter.items.map((r: any) => r.id)).toEqual([shared.id]);
    const paged = await nova.data('recall', { limit: 1 });
    expect(paged.items).toHaveLength(1);
    expect(paged.nextCursor).toEqual(expect.any(String));
    const next = await nova.data('recall', { limit: 1, cursor: paged.nextCursor });
    expect(next.items.map((r: any) => r.id)).toEqual([shared.id]);
  });

  it('conversation returns the messages between the session agent and another, newest first', async () => {
    const ask = await nova.data('send_message', { targetAgent: 'kai', context: { q: 'ping' } });
    const reply = await kai.data('send_message', { targetAgent: 'nova', context: { a: 'pong' } });
    const conversation = await waitFor(async () => {
      const page = await kai.data('conversation', { withAgent: 'nova', limit: 1000 });
      const ids = page.items.map((r: any) => r.messageId);
      return ids.includes(ask.id) && ids.includes(reply.id) ? ids : undefined;
    }, 'both messages in the conversation');
    expect(conversation.indexOf(reply.id)).toBeLessThan(conversation.indexOf(ask.id));
  });

  it('remember, recall and conversation keep NUL and lone surrogates (which Postgres jsonb cannot hold)', async () => {
    const context = { 'x\u0000': 1, 'x\ud800': 2, lone: 'a\udc00', nested: ['\u0000', { deep: 'z\udbff' }] };
    const json = (value: unknown) => JSON.stringify(value);
    const remembered = await nova.data('remember', { context, tags: ['unstorable'] });
    expect(json(remembered.context)).toBe(json(context));
    const recalled = await dexter.data('recall', { agentId: 'nova', tags: ['unstorable'] });
    expect(recalled.items.map((r: any) => json(r.context))).toEqual([json(context)]);

    const sent = await nova.data('send_message', { targetAgent: 'kai', context });
    const archived = await waitFor(async () => {
      const page = await kai.data('conversation', { withAgent: 'nova', limit: 1000 });
      return page.items.find((r: any) => r.messageId === sent.id);
    }, 'the message in the conversation');
    expect(json(archived.context)).toBe(json(context));
  });

  it('list_agents lists the agents, filtered by capability when asked', async () => {
    await brain.client.register(ADMIN_TOKEN, 'oracle', { capabilities: ['forecasting'] });
    const all = await nova.data('list_agents');
    expect(all.items.map((a: any) => a.id).sort()).toEqual(['dexter', 'kai', 'nova', 'oracle']);
    const capable = await nova.data('list_agents', { capability: 'forecasting' });
    expect(capable.items).toEqual([expect.objectContaining({ id: 'oracle', capabilities: ['forecasting'] })]);
  });

  describe('tool errors carry the REST message', () => {
    it('an unknown target', async () => {
      const result = await nova.call('send_message', { targetAgent: 'zed', context: {} });
      expect(errorText(result)).toBe("agent 'zed' is not registered");
      expect(result.structuredContent).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: "agent 'zed' is not registered",
      });
    });

    it("invalid input: exactly the REST route's 400 for the same input, and nothing is written", async () => {
      await drain(dexter);
      const send = (body: Record<string, unknown>) => ['POST', '/v1/messages', body] as const;
      // Each tool call beside the REST request that carries the same input.
      const cases: [string, Record<string, unknown>, readonly [string, string, unknown?]][] = [
        ['send_message', { targetAgent: 'Zed!', context: {} }, send({ targetAgent: 'Zed!', context: {} })],
        [
          'send_message',
          { targetAgent: 'broadcast', context: {} },
          send({ targetAgent: 'broadcast', context: {} }),
        ],
        [
          'send_message',
          { targetAgent: 'dexter', context: [1] },
          send({ targetAgent: 'dexter', context: [1] }),
        ],
        ['send_message', { targetAgent: 'dexter' }, send({ targetAgent: 'dexter' })],
        ['send_message', { targetAgent: 'Zed!', context: 7 }, send({ targetAgent: 'Zed!', context: 7 })],
        [
          'send_message',
          { targetAgent: 'dexter', context: {}, priority: 'urgent' },
          send({ targetAgent: 'dexter', context: {}, priority: 'urgent' }),
        ],
        [
          'send_message',
          { targetAgent: 'dexter', context: {}, id: 'not-a-uuid' },
          send({ targetAgent: 'dexter', context: {}, id: 'not-a-uuid' }),
        ],
        [
          'send_message',
          { targetAgent: 'dexter', context: {}, colour: 'red' },
          send({ targetAgent: 'dexter', context: {}, colour: 'red' }),
        ],
        ['check_inbox', { count: 5000 }, ['GET', '/v1/agents/nova/messages?count=5000']],
        ['check_inbox', { wait: 60000 }, ['GET', '/v1/agents/nova/messages?wait=60000']],
        ['acknowledge', { ids: [] }, ['POST', '/v1/agents/nova/acks', { ids: [] }]],
        ['acknowledge', { ids: ['nope'] }, ['POST', '/v1/agents/nova/acks', { ids: ['nope'] }]],
        [
          'remember',
          { context: {}, tags: ['a,b'] },
          ['POST', '/v1/agents/nova/memories', { context: {}, tags: ['a,b'] }],
        ],
        ['recall', { since: 'yesterday' }, ['GET', '/v1/agents/nova/memories?since=yesterday']],
        ['conversation', { withAgent: 'dexter', limit: 0 }, ['GET', '/v1/conversations/nova/dexter?limit=0']],
      ];
      for (const [tool, args, [method, path, body]] of cases) {
        const rest = await brain.client.request(method, path, { token: brain.token.nova, body });
        expect([tool, args, rest.status]).toEqual([tool, args, 400]);
        const result = await nova.call(tool, args);
        expect([tool, args, errorText(result)]).toEqual([tool, args, rest.body.message]);
        expect(result.structuredContent).toEqual(rest.body);
      }
      // Where the tool has no REST twin: the field is not one the tool takes, named as REST names unknown fields.
      const spoofed = await nova.call('send_message', {
        targetAgent: 'dexter',
        context: {},
        sourceAgent: 'kai',
      });
      expect(errorText(spoofed)).toBe('property sourceAgent should not exist');
      expect(spoofed.structuredContent).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'property sourceAgent should not exist',
      });
      expect(errorText(await nova.call('acknowledge', {}))).toBe('give either messageId or ids');
      const pending = await brain.client.get('/v1/agents/dexter/messages', brain.token.dexter);
      expect(pending.body.items).toEqual([]);
    });

    it('an id reused for other content: the REST 409 message', async () => {
      const id = randomUUID();
      await nova.data('send_message', { targetAgent: 'dexter', context: { n: 1 }, id });
      const rest = await brain.client.post('/v1/messages', brain.token.nova, {
        targetAgent: 'dexter',
        context: { n: 2 },
        id,
      });
      expect(rest.status).toBe(409);
      const result = await nova.call('send_message', { targetAgent: 'dexter', context: { n: 2 }, id });
      expect(errorText(result)).toBe(rest.body.message);
      expect(result.structuredContent).toEqual(rest.body);
      await drain(dexter);
    });

    it('NUL or an unpaired surrogate in a type, tag, capability or search text: the REST 400 message', async () => {
      await drain(dexter);
      const before = await brain.client.get('/v1/agents/nova/memories', brain.token.nova);
      const rule = 'must not contain NUL or unpaired surrogate characters';
      for (const bad of ['a\u0000b', 'x\ud800y', '\udc00']) {
        const cases: [string, Record<string, unknown>, string][] = [
          ['send_message', { targetAgent: 'dexter', context: {}, type: bad }, `type ${rule}`],
          ['broadcast', { context: {}, type: bad }, `type ${rule}`],
          ['route_message', { capability: bad, context: {} }, `capability ${rule}`],
          ['remember', { context: {}, type: bad }, `type ${rule}`],
          ['remember', { context: {}, tags: ['ok', bad] }, `tags ${rule}`],
          ['recall', { type: bad }, `type ${rule}`],
          ['recall', { tags: [bad] }, `tags ${rule}`],
          ['recall', { q: bad }, `q ${rule}`],
          ['list_agents', { capability: bad }, `capability ${rule}`],
        ];
        for (const [tool, args, message] of cases) {
          expect([tool, errorText(await nova.call(tool, args))]).toEqual([
            tool,
            expect.stringContaining(message),
          ]);
        }
      }
      expect((await brain.client.get('/v1/agents/dexter/messages', brain.token.dexter)).body.items).toEqual(
        [],
      );
      expect((await brain.client.get('/v1/agents/nova/memories', brain.token.nova)).body).toEqual(
        before.body,
      );
    });

    it('acknowledging a message not addressed to the session agent: what the REST route answers', async () => {
      const sent = await nova.data('send_message', { targetAgent: 'dexter', context: {} });
      const rest = await brain.client.post(`/v1/messages/${sent.id}/ack`, brain.token.kai, {});
      expect(rest.status).toBe(404);
      const result = await kai.call('acknowledge', { messageId: sent.id });
      expect(errorText(result)).toBe(rest.body.message);
      expect(result.structuredContent).toEqual(rest.body);
    });

    it('route_message routes like POST /v1/messages with routing; none capable: the REST 404 message', async () => {
      const prophet = await brain.client.register(ADMIN_TOKEN, 'prophet', { capabilities: ['prophecy'] });
      const routed = await nova.data('route_message', {
        capability: 'prophecy',
        context: { q: 'rain?' },
        type: 'question',
      });
      expect(routed).toMatchObject({
        fromAgent: 'nova',
        toAgent: 'prophet',
        routedBy: 'capability:prophecy',
        type: 'question',
        payload: { q: 'rain?' },
      });
      expect((await brain.client.get('/v1/agents/prophet/messages', prophet)).body.items).toEqual([routed]);

      const none = await nova.call('route_message', { capability: 'telepathy', context: {} });
      const rest = await brain.client.post('/v1/messages', brain.token.nova, {
        routing: { capability: 'telepathy' },
        context: {},
      });
      expect(rest.status).toBe(404);
      expect(errorText(none)).toBe(rest.body.message);
    });
  });

  describe('authentication and sessions', () => {
    it('no token or a bad token: 401 in the contract shape', async () => {
      for (const token of [undefined, 'nova.not-the-secret', 'garbage']) {
        const response = await rawMcp(url, 'POST', { token, body: INITIALIZE });
        expect(response.status).toBe(401);
        expect(response.body).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'a valid bearer token is required (Authorization: Bearer <token>)',
        });
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="brain"');
      }
    });

    it('the admin token is refused: an MCP session is one agent', async () => {
      const response = await rawMcp(url, 'POST', { token: ADMIN_TOKEN, body: INITIALIZE });
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect(response.body.message).toContain('an MCP session is one agent');
    });

    it("another agent's token on a session is answered as if the session did not exist", async () => {
      const sessionId = nova.transport.sessionId!;
      const list = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} };
      const stolen = await rawMcp(url, 'POST', { token: brain.token.dexter, sessionId, body: list });
      expect(stolen.status).toBe(404);
      expect(stolen.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      const deleted = await rawMcp(url, 'DELETE', { token: brain.token.dexter, sessionId });
      expect(deleted.status).toBe(404);
      // The owner's session is untouched.
      expect((await nova.client.listTools()).tools).toHaveLength(TOOLS.length);
    });

    it('a request without a session id must be an initialize request', async () => {
      const list = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} };
      const response = await rawMcp(url, 'POST', { token: brain.token.nova, body: list });
      expect(response.status).toBe(400);
      expect(response.body.message).toContain('must be an initialize request');
    });

    it('a rotated token stops working on its open session at once', async () => {
      const token = await brain.client.register(ADMIN_TOKEN, 'rotor');
      const rotor = await connect(url, token);
      expect((await rotor.client.listTools()).tools).toHaveLength(TOOLS.length);
      await brain.client.post('/v1/agents/rotor/token', ADMIN_TOKEN);
      await expect(rotor.client.listTools()).rejects.toThrow(/401|Unauthorized|bearer token/);
      await rotor.client.close();
    });
  });
});

describe('MCP sessions are bounded (e2e)', () => {
  let brain: TestBrain;
  let url: string;
  const open: Connection[] = [];

  beforeAll(async () => {
    brain = await startBrain('mcplimits', {
      agents: ['nova', 'dexter', 'kai'],
      env: {
        BRAIN_MCP_MAX_SESSIONS_PER_AGENT: '2',
        BRAIN_MCP_MAX_SESSIONS: '3',
        BRAIN_RATE_LIMIT_PER_MINUTE: '40',
      },
    });
    url = brain.client.url;
  });

  afterAll(async () => {
    for (const connection of open) await connection.close();
    await brain?.close();
  });

  const initialize = (agent: string) => rawMcp(url, 'POST', { token: brain.token[agent], body: INITIALIZE });

  it('per agent and overall: 429 with Retry-After beyond the limit, room again once a session ends', async () => {
    open.push(await connect(url, brain.token.nova), await connect(url, brain.token.nova));
    const third = await initialize('nova');
    expect(third.status).toBe(429);
    expect(third.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining("agent 'nova' has 2 open MCP sessions"),
    });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);

    open.push(await connect(url, brain.token.dexter));
    const overall = await initialize('kai');
    expect(overall.status).toBe(429);
    expect(overall.body.message).toContain('BRAIN_MCP_MAX_SESSIONS');

    // Ending a session (DELETE /mcp) frees its place at once.
    await open.shift()!.close();
    open.push(await connect(url, brain.token.kai));
    expect((await open[open.length - 1].data('list_agents')).items).toHaveLength(3);
  });

  it('an idle session is closed; its id then answers 404 and a new session can start', async () => {
    const sessions = brain.app.get(McpSessions);
    while (open.length > 0) await open.pop()!.close();
    expect(sessions.size).toBe(0);
    const connection = await connect(url, brain.token.dexter);
    const sessionId = connection.transport.sessionId!;
    expect(sessions.closeIdle(Date.now())).toBe(0);
    expect(sessions.closeIdle(Date.now() + brain.environment.config.mcp.sessionIdleMs + 1)).toBe(1);
    await waitFor(() => sessions.size === 0, 'every idle session closed');
    const list = { jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} };
    const gone = await rawMcp(url, 'POST', { token: brain.token.dexter, sessionId, body: list });
    expect(gone.status).toBe(404);
    const fresh = await connect(url, brain.token.dexter);
    open.push(fresh);
    expect((await fresh.client.listTools()).tools).toHaveLength(TOOLS.length);
  });

  it("MCP requests count against the agent's rate limit, shared with REST", async () => {
    const kai = await connect(url, brain.token.kai);
    open.push(kai);
    const list = { jsonrpc: '2.0', id: 11, method: 'tools/list', params: {} };
    let refused: Awaited<ReturnType<typeof rawMcp>> | undefined;
    for (let i = 0; i < 41 && !refused; i++) {
      const response = await rawMcp(url, 'POST', {
        token: brain.token.kai,
        sessionId: kai.transport.sessionId,
        body: list,
      });
      if (response.status !== 200) refused = response;
    }
    expect(refused?.status).toBe(429);
    expect(refused?.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/^agent 'kai' exceeded its limit of 40 requests per minute/),
    });
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    const rest = await brain.client.get('/v1/agents/kai/messages', brain.token.kai);
    expect(rest.status).toBe(429);
    // Another agent is not affected.
    expect((await open[0].client.listTools()).tools).toHaveLength(TOOLS.length);
  });

  it('closes every session when the app shuts down', async () => {
    const sessions = brain.app.get(McpSessions);
    expect(sessions.size).toBeGreaterThan(0);
    await brain.close();
    expect(sessions.size).toBe(0);
  });
});
