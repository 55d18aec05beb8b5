import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { METRICS_SCHEME } from '../metrics/metrics-token.guard';
import { errorResponse } from './dto/error.dto';
import { EmptyRequest } from './dto/validation';

export const BEARER_SCHEME = 'bearer';

const TOKEN_FORMATS =
  'An opaque bearer token (not a JWT): an agent token `<agentId>.<secret>`, returned when the agent is registered ' +
  'or its token rotated (only its hash is stored), or the admin token, the value of BRAIN_ADMIN_TOKEN.';

const DESCRIPTION = `The shared context bus and memory of a team of AI agents.

Every /v1 route needs \`Authorization: Bearer <token>\`: the admin token (BRAIN_ADMIN_TOKEN) or an agent token
(returned when the agent is registered or its token rotated). An agent acts only as itself; the admin acts for any
agent and then names it. Errors are \`{ statusCode, error, message }\` (5xx answers add \`requestId\`); every answer
carries \`X-Request-Id\`.

Decisions the contract leaves open:
- The admin names the agent it acts for: \`sourceAgent\` when publishing, \`agentId\` when acknowledging.
- \`GET /v1/messages/{messageId}\` by an agent that is neither its sender nor a recipient answers 404, exactly as for
  an unknown id, so ids of other agents' messages cannot be probed.
- A body field a route does not list answers 400, and so does a query parameter on routes that take query
  parameters; both before anything is read or written.
- Bodies are JSON (\`Content-Type: application/json\`); routes with a body answer 413 beyond BRAIN_MAX_PAYLOAD_BYTES
  and 415 for any other content type.
- Lists answer \`{ items, nextCursor }\`; \`nextCursor\` is null on the last page (always, where one page holds all).`;

const TAGS: [string, string][] = [
  ['agents', 'The registry of agents and their tokens'],
  ['messages', 'Direct messages, broadcasts, acknowledgements and dead letters'],
  ['memory', 'Memories, history, conversations and insights (PostgreSQL)'],
  ['operations', 'Counters, clearing everything, Prometheus metrics'],
  ['health', 'Liveness and readiness probes (public)'],
  ['docs', 'This document and its Swagger UI (public)'],
];

/** The OpenAPI document of every route, built from the controllers' decorators. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Brain API')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addServer('/', 'the server that serves this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: TOKEN_FORMATS }, BEARER_SCHEME)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'the value of BRAIN_METRICS_TOKEN, when it is set' },
      METRICS_SCHEME,
    );
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    // `Agents_register` rather than `AgentsController_register`: generated clients name their methods after these.
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  document.info.license = { name: 'UNLICENSED' };
  for (const scheme of Object.values(document.components?.securitySchemes ?? {})) {
    // DocumentBuilder.addBearerAuth always adds `bearerFormat: JWT`; Brain's tokens are opaque.
    if ('bearerFormat' in scheme) delete scheme.bearerFormat;
  }
  completeOperations(document);
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    // A body field a route does not list answers 400 (ValidationPipe's forbidNonWhitelisted): say so.
    if (name.endsWith('Request') && 'properties' in schema) schema.additionalProperties = false;
  }
  Object.assign(document.paths, DOCS_PATHS);
  return document;
}

/**
 * What decorators cannot say route by route: a body route can also answer 413 and 415, a route that takes no body
 * fields may be sent none, and a route without security is public (said with an empty list).
 */
function completeOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      operation.security ??= [];
      const body = operation.requestBody;
      if (!body || !('content' in body)) continue;
      for (const status of [413, 415]) operation.responses[status] ??= errorResponse(status);
      if (
        (body.content['application/json']?.schema as { $ref?: string } | undefined)?.$ref ===
        `#/components/schemas/${EmptyRequest.name}`
      ) {
        body.required = false;
      }
    }
  }
}

const text = (mediaType: string, description: string) => ({
  description,
  content: { [mediaType]: { schema: { type: 'string' as const } } },
});

/** The routes setupOpenApi registers on Fastify directly, which Nest's explorer does not see. */
const DOCS_PATHS: OpenAPIObject['paths'] = {
  '/docs': {
    get: {
      operationId: 'Docs_ui',
      summary: 'The Swagger UI of this document',
      tags: ['docs'],
      security: [],
      responses: { 200: text('text/html', 'the page') },
    },
  },
  '/docs-json': {
    get: {
      operationId: 'Docs_json',
      summary: 'This document, as JSON',
      tags: ['docs'],
      security: [],
      responses: {
        200: {
          description: 'an OpenAPI 3.0 document',
          content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
        },
      },
    },
  },
  '/docs-yaml': {
    get: {
      operationId: 'Docs_yaml',
      summary: 'This document, as YAML',
      tags: ['docs'],
      security: [],
      responses: { 200: text('text/yaml', 'an OpenAPI 3.0 document') },
    },
  },
};

/**
 * /docs-json and /docs-yaml (the document, built on first request) and the Swagger UI at /docs, all public.
 * The UI's three files are served from swagger-ui-dist by fixed routes rather than through @fastify/static, whose
 * ESM dependencies Jest cannot load; the page itself is small enough to write here.
 */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    ui: false,
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const assets = dirname(require.resolve('swagger-ui-dist/package.json'));
  const files: Record<string, string> = {
    'swagger-ui.css': 'text/css; charset=utf-8',
    'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
    'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  };
  for (const [file, contentType] of Object.entries(files)) {
    let content: Buffer | undefined;
    fastify.get(`/docs/${file}`, (_request, reply) => {
      content ??= readFileSync(join(assets, file));
      void reply
        .header('content-type', contentType)
        .header('cache-control', 'public, max-age=86400')
        .send(content);
    });
  }
  fastify.get('/docs', (_request, reply) => {
    void reply.header('content-type', 'text/html; charset=utf-8').send(SWAGGER_UI_PAGE);
  });
}

const SWAGGER_UI_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Brain API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: '/docs-json',
      dom_id: '#swagger-ui',
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: 'StandaloneLayout',
      persistAuthorization: true,
    });
  </script>
</body>
</html>
`;
