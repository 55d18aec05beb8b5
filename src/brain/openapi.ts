import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';

export const BEARER_SCHEME = 'bearer';

/** The OpenAPI document of every route, built from the controllers' decorators. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Brain API')
    .setDescription(
      'The shared context bus and memory of a team of AI agents. Every /v1 route needs ' +
        '`Authorization: Bearer <token>`: the admin token (BRAIN_ADMIN_TOKEN) or an agent token (returned when the ' +
        'agent is registered or its token rotated). An agent acts only as itself; the admin acts for any agent and ' +
        'then names it (`sourceAgent`, `agentId`). Errors are `{ statusCode, error, message }`.',
    )
    .setVersion('1')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'admin token or agent token' },
      BEARER_SCHEME,
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

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
