import { BrainClient, startBrain, TestBrain } from './brain-client';

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
  'post /v1/messages/{messageId}/ack',
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
    expect(operations().find(({ key }) => key === 'get /health/live')?.operation.security).toBeUndefined();
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
    expect(op('delete /v1/data').parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'X-Confirm', required: true })]),
    );
    const message = document.components.schemas.ContextMessageResponse;
    expect(Object.keys(message.properties).sort()).toEqual(
      ['deliveryCount', 'fromAgent', 'id', 'payload', 'priority', 'timestamp', 'toAgent', 'type'].sort(),
    );
    expect(message.properties.priority.enum).toEqual(['critical', 'high', 'medium', 'low']);
    const pending = op('get /v1/agents/{id}/messages').parameters as Json[];
    expect(pending.map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(['id', 'count', 'wait', 'consumer', 'priority']),
    );
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
