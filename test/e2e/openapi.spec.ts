import { lintOpenApi } from '../../scripts/lint-openapi';
import { BrainClient, startBrain, TestBrain } from './brain-client';
import { ResponseValidator } from './response-validator';

/** Every route of ../shared/api/contract.md under /v1, in OpenAPI path syntax. */
const CONTRACT_ROUTES = [
  'post /v1/agents',
  'get /v1/agents',
  'get /v1/agents/{id}',
  'delete /v1/agents/{id}',
  'post /v1/agents/{id}/token',
  'post /v1/messages',
  'post /v1/broadcasts',
  'get /v1/agents/{id}/messages',
  'get /v1/agents/{id}/events',
  'post /v1/messages/{messageId}/ack',
  'post /v1/messages/{messageId}/lease',
  'post /v1/messages/{messageId}/nack',
  'post /v1/agents/{id}/acks',
  'get /v1/messages/{messageId}',
  'get /v1/agents/{id}/dead-letters',
  'post /v1/agents/{id}/dead-letters/{messageId}/requeue',
  'post /v1/agents/{id}/memories',
  'get /v1/agents/{id}/memories',
  'get /v1/agents/{id}/history',
  'get /v1/conversations/{a}/{b}',
  'get /v1/insights',
  'get /v1/stats',
  'delete /v1/data',
  // Read routes of the dashboard (issue 16).
  'get /v1/stats/series',
  'get /v1/stats/agents',
  'get /v1/agents/{id}/stats',
];
const PUBLIC_ROUTES = ['get /health/live', 'get /health/ready'];
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every `$ref` in the document, with where it was found. */
function refs(node: unknown, at = '#'): [string, string][] {
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string'
      ? [[at, value] as [string, string]]
      : refs(value, `${at}/${key}`),
  );
}

function resolve(document: Json, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>(
      (node, part) => (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')],
      document,
    );
}

/** Schemas (by where they are) with a property that has neither a type, a $ref, nor a composition. */
function untypedSchemas(schemas: Json): string[] {
  return Object.entries(schemas).flatMap(([name, schema]) =>
    Object.entries((schema as Json).properties ?? {})
      .filter(([, property]) => {
        const p = property as Json;
        return !p.type && !p.$ref && !p.allOf && !p.oneOf && !p.anyOf && !p.enum;
      })
      .map(([field]) => `${name}.${field}`),
  );
}

describe('OpenAPI document (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let document: Json;

  beforeAll(async () => {
    brain = await startBrain('openapi');
    client = brain.client;
    const response = await client.get('/docs-json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    document = response.body;
  });

  afterAll(() => brain?.close());

  const operations = () =>
    Object.entries(document.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, operation]) => ({ key: `${method} ${path}`, path, operation: operation as Json })),
    );

  it('is a well-formed OpenAPI 3 document: version, info, paths, operations with responses', () => {
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(document.info).toMatchObject({ title: 'Brain API', version: '1' });
    expect(typeof document.paths).toBe('object');
    for (const { key, path, operation } of operations()) {
      expect(`${key}: ${Object.keys(operation.responses ?? {}).length > 0}`).toBe(`${key}: true`);
      for (const status of Object.keys(operation.responses)) expect(status).toMatch(/^[1-5]\d\d$|^default$/);
      // Every templated path segment is declared as a required path parameter, and nothing more.
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
      const declared = ((operation.parameters ?? []) as Json[])
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => {
          expect(parameter.required).toBe(true);
          return parameter.name as string;
        })
        .sort();
      expect(`${key}: ${declared.join(',')}`).toBe(`${key}: ${templated.join(',')}`);
      expect(typeof operation.operationId).toBe('string');
    }
    const operationIds = operations().map(({ operation }) => operation.operationId as string);
    expect(operationIds).toEqual(expect.arrayContaining(['Agents_register', 'Messages_send', 'Health_live']));
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it('resolves every $ref', () => {
    const unresolved = refs(document)
      .filter(([, ref]) => resolve(document, ref) === undefined)
      .map(([at, ref]) => `${at} -> ${ref}`);
    expect(unresolved).toEqual([]);
  });

  it('lists every route of the contract, and the health routes', () => {
    const listed = operations().map(({ key }) => key);
    expect(listed).toEqual(expect.arrayContaining([...CONTRACT_ROUTES, ...PUBLIC_ROUTES]));
    expect(listed.filter((key) => key.includes(' /v1')).sort()).toEqual([...CONTRACT_ROUTES].sort());
  });

  it('describes the bearer scheme and requires it on every /v1 route, with its errors and examples', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { key, operation } of operations().filter(({ path }) => path.startsWith('/v1'))) {
      expect(`${key}: ${JSON.stringify(operation.security)}`).toBe(`${key}: [{"bearer":[]}]`);
      const statuses = Object.keys(operation.responses);
      expect(statuses).toEqual(expect.arrayContaining(['401', '429', '503']));
      const success = statuses.filter((status) => /^2/.test(status));
      expect(`${key}: ${success.length > 0}`).toBe(`${key}: true`);
      for (const status of statuses.filter((s) => /^[45]/.test(s))) {
        const content = operation.responses[status].content['application/json'];
        expect(content.schema.$ref).toBe('#/components/schemas/ErrorResponse');
        expect(content.example).toMatchObject({ statusCode: Number(status), message: expect.any(String) });
      }
      if (operation.requestBody) {
        const schema = operation.requestBody.content['application/json'].schema;
        expect(resolve(document, schema.$ref)).toBeDefined();
      }
    }
    // Public routes say so with an empty requirement list (a linter then knows they are public on purpose).
    expect(operations().find(({ key }) => key === 'get /health/live')?.operation.security).toEqual([]);
  });

  it('documents the answers of the main routes with their shapes', () => {
    const op = (key: string) => operations().find((candidate) => candidate.key === key)!.operation;
    expect(op('post /v1/agents').responses['201'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/RegisteredAgentResponse',
    );
    expect(Object.keys(op('post /v1/messages').responses)).toEqual(
      expect.arrayContaining(['200', '201', '404']),
    );
    expect(op('delete /v1/data').responses['204']).toBeDefined();
    const events = op('get /v1/agents/{id}/events');
    expect(Object.keys(events.responses['200'].content)).toEqual(['text/event-stream']);
    expect(events.responses['200'].description).toMatch(/event: message/);
    expect(events.description).toMatch(/Last-Event-ID/);
    expect(op('delete /v1/data').parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'X-Confirm', required: true })]),
    );
    const message = document.components.schemas.ContextMessageResponse;
    expect(Object.keys(message.properties).sort()).toEqual(
      [
        'deliveryCount',
        'fromAgent',
        'id',
        'payload',
        'priority',
        'timestamp',
        'toAgent',
        'type',
        'inReplyTo',
        'expiresAt',
        'deliverAt',
        'routedBy',
      ].sort(),
    );
    expect(message.properties.priority.enum).toEqual(['critical', 'high', 'medium', 'low']);
    const pending = op('get /v1/agents/{id}/messages').parameters as Json[];
    expect(pending.map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(['id', 'count', 'wait', 'consumer', 'priority']),
    );
  });

  it("documents v1.1's fields: publishing options, routing, nack, lease, dead letters, status, discovery", () => {
    const op = (key: string) => operations().find((candidate) => candidate.key === key)!.operation;
    const schemaOf = (node: Json): Json => (node.$ref ? (resolve(document, node.$ref) as Json) : node);
    const requestOf = (key: string) => schemaOf(op(key).requestBody.content['application/json'].schema);
    const answerOf = (key: string, status: string) =>
      schemaOf(op(key).responses[status].content['application/json'].schema);
    const bounds = (property: Json) => [property.type, property.minimum, property.maximum];

    const send = requestOf('post /v1/messages').properties;
    const broadcast = requestOf('post /v1/broadcasts').properties;
    for (const fields of [send, broadcast]) {
      expect(fields.inReplyTo).toMatchObject({ type: 'string', format: 'uuid' });
      expect(bounds(fields.ttlSeconds)).toEqual(['integer', 1, undefined]); // the ceiling is a setting
      expect(fields.ttlSeconds.description).toMatch(/BRAIN_RETENTION_HOURS/);
      expect(bounds(fields.delayMs)).toEqual(['integer', 0, 86_400_000]);
    }
    expect(schemaOf(send.routing.allOf?.[0] ?? send.routing).properties.capability.type).toBe('string');
    expect(broadcast.routing).toBeUndefined();

    const nack = requestOf('post /v1/messages/{messageId}/nack').properties;
    expect(nack.reason.maxLength).toBe(500);
    expect(nack.requeue).toMatchObject({ type: 'boolean', default: true });
    expect(bounds(nack.delayMs)).toEqual(['integer', 0, 3_600_000]);
    expect(answerOf('post /v1/messages/{messageId}/nack', '200').properties.outcome.enum).toEqual([
      'requeued',
      'dead_lettered',
    ]);
    const lease = requestOf('post /v1/messages/{messageId}/lease');
    expect(lease.required).toEqual(expect.arrayContaining(['consumer', 'extendMs']));
    expect(bounds(lease.properties.extendMs)).toEqual(['integer', 1, 3_600_000]);
    expect(Object.keys(answerOf('post /v1/messages/{messageId}/lease', '200').properties).sort()).toEqual([
      'consumer',
      'id',
      'leasedUntil',
    ]);
    for (const key of ['post /v1/messages/{messageId}/nack', 'post /v1/messages/{messageId}/lease'])
      expect(Object.keys(op(key).responses)).toEqual(expect.arrayContaining(['200', '400', '404', '409']));

    const deadLetters = answerOf('get /v1/agents/{id}/dead-letters', '200');
    const deadLetter = schemaOf(deadLetters.properties.items.items).properties;
    expect(Object.keys(deadLetter)).toEqual(
      expect.arrayContaining(['reason', 'detail', 'deadAt', 'deliveryCount']),
    );
    expect(deadLetter.reason.enum).toEqual(['max_deliveries', 'rejected']);
    const status = schemaOf(answerOf('get /v1/messages/{messageId}', '200').properties.status).properties;
    expect(Object.keys(status).sort()).toEqual(
      ['acknowledged', 'acknowledgedBy', 'deadLetteredFor', 'expired', 'pendingFor'].sort(),
    );
    expect((op('get /v1/agents').parameters as Json[]).map((parameter) => parameter.name)).toContain(
      'capability',
    );
  });

  it('passes Redocly lint (recommended-strict) with no problem at all', () => {
    const { problems, report } = lintOpenApi(document);
    expect(report).toBe('');
    expect(problems).toEqual([]);
  }, 30_000);

  it('is linted by rules that can fail: empty servers, a /v1 route without 4xx, a wrong example', () => {
    const broken = JSON.parse(JSON.stringify(document)) as Json;
    broken.servers = [];
    const list = broken.paths['/v1/agents'].get.responses as Json;
    for (const status of Object.keys(list)) if (status.startsWith('4')) delete list[status];
    broken.components.schemas.StoreMemoryRequest.properties.type = { type: 'object', example: 'sales_data' };
    expect(
      lintOpenApi(broken)
        .problems.map(({ ruleId }) => ruleId)
        .sort(),
    ).toEqual(['no-empty-servers', 'no-invalid-schema-examples', 'rule/operation-4xx-response'].sort());
  }, 30_000);

  it('types nullable strings as strings, not objects (a generated client gets them right)', () => {
    const schemas = document.components.schemas as Json;
    for (const [name, field] of [
      ['SendMessageRequest', 'type'],
      ['SendBroadcastRequest', 'type'],
      ['StoreMemoryRequest', 'type'],
      ['ContextMessageResponse', 'type'],
      ['MemoryRecordResponse', 'type'],
      ['AgentResponse', 'name'],
      ['MemoryRecordPageResponse', 'nextCursor'],
    ]) {
      expect({ [`${name}.${field}`]: schemas[name].properties[field] }).toMatchObject({
        [`${name}.${field}`]: { type: 'string', nullable: true },
      });
    }
    // Every object schema says which fields it has, or that it is opaque JSON; no untyped property anywhere.
    expect(untypedSchemas(schemas)).toEqual([]);
    // Unknown body fields answer 400, so every request schema is closed; opaque JSON stays open.
    for (const name of ['RegisterAgentRequest', 'SendMessageRequest', 'StoreMemoryRequest', 'EmptyRequest']) {
      expect({ [name]: schemas[name].additionalProperties }).toEqual({ [name]: false });
    }
    expect(schemas.StoreMemoryRequest.properties.context).toMatchObject({
      type: 'object',
      additionalProperties: true,
    });
  });

  it('describes the tokens as opaque bearer tokens, not JWTs, and names a relative server', () => {
    const bearer = document.components.securitySchemes.bearer;
    expect(bearer.bearerFormat).toBeUndefined();
    expect(bearer.description).toContain('<agentId>.<secret>');
    expect(bearer.description).toContain('BRAIN_ADMIN_TOKEN');
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('gives the health, metrics and docs routes their content types and schemas', () => {
    const op = (key: string) => operations().find((candidate) => candidate.key === key)?.operation;
    expect(op('get /health/live')!.responses['200'].content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['status'],
    });
    for (const status of ['200', '503']) {
      expect(op('get /health/ready')!.responses[status].content['application/json'].schema).toMatchObject({
        type: 'object',
        required: expect.arrayContaining(['status', 'details']),
      });
    }
    expect(op('get /metrics')!.responses['200'].content['text/plain'].schema).toEqual({ type: 'string' });
    expect(op('get /metrics')!.responses['401'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ErrorResponse',
    );
    expect(op('get /docs')!.responses['200'].content['text/html'].schema).toEqual({ type: 'string' });
    expect(op('get /docs-json')!.responses['200'].content['application/json'].schema.type).toBe('object');
    expect(op('get /docs-yaml')!.responses['200'].content).toHaveProperty('text/yaml');
  });

  it('lists 413 and 415 on every route with a body, 429 and 503 on every /v1 route', () => {
    for (const { key, path, operation } of operations()) {
      const statuses = Object.keys(operation.responses);
      if (operation.requestBody) expect(`${key}: ${statuses.join(',')}`).toMatch(/413.*415/);
      if (path.startsWith('/v1')) expect(`${key}: ${statuses.join(',')}`).toMatch(/429.*503/);
    }
  });

  it('describes the real answers of the public routes (the e2e client checks each one against the document)', async () => {
    const answers = await Promise.all(
      ['/health/live', '/health/ready', '/metrics', '/docs', '/docs-json', '/docs-yaml'].map((path) =>
        client.get(path),
      ),
    );
    expect(answers.map(({ status }) => status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers[2].headers.get('content-type')).toContain('text/plain');
  });

  it('refuses an answer the document does not describe: a wrong type, an unknown field, an unlisted status', () => {
    const validator = new ResponseValidator(document);
    const json = 'application/json; charset=utf-8';
    const agent = {
      id: 'nova',
      name: null,
      description: null,
      capabilities: [],
      metadata: { constructor: 1 },
      createdAt: '2025-11-13T14:00:00.000Z',
      lastSeenAt: null,
    };
    expect(validator.check('GET', '/v1/agents/nova', 200, json, agent)).toBeUndefined();
    expect(validator.check('GET', '/v1/agents/nova?x=1', 200, json, { ...agent, name: 7 })).toMatch(
      /GET \/v1\/agents\/\{id\}.*name must be string/,
    );
    expect(validator.check('GET', '/v1/agents/nova', 200, json, { ...agent, secret: 'x' })).toMatch(
      /must NOT have additional properties/,
    );
    expect(validator.check('GET', '/v1/agents/nova', 200, 'text/plain', 'nova')).toMatch(
      /content type 'text\/plain' is not documented/,
    );
    expect(validator.check('GET', '/v1/agents/nova', 500, json, { statusCode: 500 })).toMatch(
      /status 500 is not documented/,
    );
    const notFound = { statusCode: 404, error: 'Not Found', message: "agent 'zed' is not registered" };
    expect(validator.check('GET', '/v1/agents/zed', 404, json, notFound)).toBeUndefined();
    expect(validator.check('GET', '/v1/agents/zed', 404, json, { message: 'no' })).toMatch(
      /must have required property/,
    );
    expect(validator.check('GET', '/no/such/route', 404, json, notFound)).toBeUndefined();
    expect(validator.check('DELETE', '/v1/agents/nova', 204, null, undefined)).toBeUndefined();
    expect(validator.check('GET', '/health/live', 200, json, { status: 'fine' })).toMatch(/allowed values/);
  });

  it('serves the Swagger UI at /docs, publicly', async () => {
    const page = await client.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('SwaggerUIBundle');
    for (const asset of [
      '/docs/swagger-ui.css',
      '/docs/swagger-ui-bundle.js',
      '/docs/swagger-ui-standalone-preset.js',
    ]) {
      expect((await client.get(asset)).status).toBe(200);
    }
    expect((await client.get('/docs-yaml')).status).toBe(200);
  });
});
