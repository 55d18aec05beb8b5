import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from '../src/brain/openapi';

const ROOT = join(__dirname, '..');

export interface LintOutcome {
  /** Problems of any severity (the ruleset is recommended-strict: every problem is an error). */
  problems: { ruleId: string; message: string; location: string[] }[];
  report: string;
}

/**
 * Lints a document with Redocly CLI and the repository's redocly.yaml. Nothing is sent anywhere: telemetry is
 * off in redocly.yaml and here, and update notices are suppressed.
 */
export function lintOpenApi(document: unknown): LintOutcome {
  const directory = mkdtempSync(join(tmpdir(), 'brain-openapi-'));
  try {
    const file = join(directory, 'openapi.json');
    writeFileSync(file, JSON.stringify(document, null, 2));
    const run = (format: string) =>
      spawnSync(
        process.execPath,
        [
          require.resolve('@redocly/cli/bin/cli.js'),
          'lint',
          '--config',
          join(ROOT, 'redocly.yaml'),
          `--format=${format}`,
          file,
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: {
            ...process.env,
            REDOCLY_TELEMETRY: 'off',
            REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
            NO_COLOR: '1',
          },
        },
      );
    const json = run('json');
    const start = json.stdout.indexOf('{');
    if (start < 0) throw new Error(`redocly lint gave no report (exit ${json.status}): ${json.stderr}`);
    const parsed = JSON.parse(json.stdout.slice(start)) as {
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    const problems = parsed.problems.map(({ ruleId, message, location }) => ({
      ruleId,
      message,
      location: location.map(({ pointer }) => pointer),
    }));
    return { problems, report: problems.length > 0 ? run('stylish').stdout : '' };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The document of every route, from the controllers' decorators, without Redis or Postgres (preview mode). */
export async function buildDocumentOffline(): Promise<OpenAPIObject> {
  const { AppModule } = await import('../src/app.module');
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { preview: true, logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  buildDocumentOffline()
    .then((document) => {
      const { problems, report } = lintOpenApi(document);
      if (problems.length > 0) {
        console.error(report);
        process.exit(1);
      }
      console.log(`OpenAPI document: ${Object.keys(document.paths).length} paths, no lint problems`);
    })
    .catch((error: Error) => {
      console.error(error.stack);
      process.exit(1);
    });
}
