import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ADMIN_TOKEN, TestEnvironment } from '../../test/support/test-environment';
import { AppProcess, callApp, startApp } from './app-process';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from './message';
import { OpenLoopOptions } from './open-loop';
import { pollUntil, sleep } from './stats';

export const HTTP_SENDER = 'bench-sender';
export const HTTP_TARGETS = Array.from({ length: 10 }, (_, i) => `bench-target-${i}`);

/** The built app in its own process on a scenario's environment, with the sender and targets registered. */
export async function startHttpTarget(
  env: TestEnvironment,
  options: { cpuProfile?: string } = {},
): Promise<AppProcess> {
  const app = await startApp(
    {
      ...env.env,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_APP_LOG_LEVEL ?? 'info',
      BRAIN_ARCHIVE_INTERVAL_MS: '200',
      // Issue 13 goal 3: a worker count given to the bench reaches the app (unset: the app's own default).
      ...(process.env.BRAIN_WORKERS ? { BRAIN_WORKERS: process.env.BRAIN_WORKERS } : {}),
    },
    options,
  );
  for (const id of [HTTP_SENDER, ...HTTP_TARGETS]) {
    const { status } = await callApp(app, 'POST', '/v1/agents', ADMIN_TOKEN, { id });
    if (status !== 201) {
      await app.stop();
      throw new Error(`registering agent ${id} answered ${status}`);
    }
  }
  return app;
}

export interface RegisteredAgent {
  id: string;
  token: string;
}

/** Registers agents through the API (as the admin), each with its own token, for runs that go through auth and the
 * per-agent rate limit as real agents do (the admin is exempt from the limit). */
export async function registerAgents(app: AppProcess, ids: string[]): Promise<RegisteredAgent[]> {
  const agents: RegisteredAgent[] = [];
  for (let i = 0; i < ids.length; i += 20) {
    const batch = await Promise.all(
      ids.slice(i, i + 20).map(async (id) => {
        const { status, body } = await callApp<{ token: string }>(app, 'POST', '/v1/agents', ADMIN_TOKEN, {
          id,
        });
        if (status !== 201) throw new Error(`registering agent ${id} answered ${status}`);
        return { id, token: body.token };
      }),
    );
    agents.push(...batch);
  }
  return agents;
}

/** POST /v1/messages as the admin on behalf of the sender, round-robin over the targets, with client-side ids. */
export function publishRequests(
  app: AppProcess,
): Pick<OpenLoopOptions, 'host' | 'port' | 'path' | 'headers' | 'request'> {
  return {
    host: app.host,
    port: app.port,
    path: '/v1/messages',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    request: (i) => {
      const id = randomUUID();
      return {
        id,
        body: JSON.stringify({
          id,
          sourceAgent: HTTP_SENDER,
          targetAgent: HTTP_TARGETS[i % HTTP_TARGETS.length],
          type: SAMPLE_TYPE,
          context: SAMPLE_CONTEXT,
        }),
      };
    },
  };
}

/** Entries in Redis not yet stored in Postgres, as the app reports it (GET /v1/stats). */
export async function archiveLag(app: AppProcess): Promise<number> {
  const { status, body } = await callApp<{ archiveLag: number }>(app, 'GET', '/v1/stats', ADMIN_TOKEN);
  if (status !== 200) throw new Error(`GET /v1/stats answered ${status}`);
  return body.archiveLag;
}

/** Waits until the archive has caught up; returns whether it did within `timeoutMs`. */
export async function waitForArchive(app: AppProcess, timeoutMs: number): Promise<boolean> {
  return pollUntil(async () => (await archiveLag(app)) === 0, timeoutMs, 100);
}

/** How many of `ids` are not in the `messages` table of the environment's database. */
export async function missingInPostgres(databaseUrl: string, ids: string[]): Promise<number> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    let missing = 0;
    for (let i = 0; i < ids.length; i += 20_000) {
      const { rows } = await pg.query<{ missing: number }>(
        'SELECT count(*)::int AS missing FROM unnest($1::uuid[]) AS t(id) WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = t.id)',
        [ids.slice(i, i + 20_000)],
      );
      missing += rows[0].missing;
    }
    return missing;
  } finally {
    await pg.end();
  }
}

export async function countArchived(pg: Client): Promise<number> {
  return (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM messages')).rows[0].n;
}

export { sleep };
