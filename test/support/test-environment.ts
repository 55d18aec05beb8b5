import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Cluster, Redis } from 'ioredis';
import { toBrainConfig, BrainConfig } from '../../src/config/brain.config';
import { validateEnvironment } from '../../src/config/environment';

/**
 * One isolated corner of the shared Redis and Postgres for a test suite: its own key prefix and its own database,
 * so suites run in any order and in parallel. `dispose()` removes both.
 */
export interface TestEnvironment {
  config: BrainConfig;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export function newTestEnvironment(suite: string, overrides: Record<string, string> = {}): TestEnvironment {
  const tag = `${suite
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 12)}${randomBytes(3).toString('hex')}`;
  const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/brain');
  databaseUrl.pathname = `/brain_test_${tag}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    BRAIN_REDIS_PREFIX: `t${tag}`,
    DATABASE_URL: databaseUrl.toString(),
    BRAIN_ADMIN_TOKEN: ADMIN_TOKEN,
    BRAIN_ARCHIVE_INTERVAL_MS: '50',
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...(process.env.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES } : {}),
    ...overrides,
  };
  const config = toBrainConfig(validateEnvironment(env));
  // An app built in this process (startTestApp, startContextSync) archives on its own loop unless the suite asks
  // for the thread: under Jest each archive thread would compile the sources again. A process started with `env`
  // (AppProcess) runs the default, the archive thread, as production does.
  if (!overrides.BRAIN_ARCHIVER) config.archive.mode = 'inline';
  return {
    config,
    env,
    dispose: async () => {
      await deleteKeysWithPrefix(config, `${config.redis.prefix}:*`);
      await dropDatabase(config.database.url);
    },
  };
}

/** A plain ioredis client on the suite's Redis (single node or cluster), for assertions and fault injection. */
export function rawRedis(config: BrainConfig): Redis | Cluster {
  return config.redis.clusterNodes ? new Cluster(config.redis.clusterNodes) : new Redis(config.redis.url);
}

/** Every key matching `pattern` on every master, found with SCAN (never KEYS). */
export async function scanKeys(config: BrainConfig, pattern: string): Promise<string[]> {
  const client = rawRedis(config);
  try {
    if (client instanceof Cluster && client.status !== 'ready') {
      await new Promise((resolve) => client.once('ready', resolve));
    }
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    const keys: string[] = [];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
    }
    return keys;
  } finally {
    client.disconnect();
  }
}

async function deleteKeysWithPrefix(config: BrainConfig, pattern: string): Promise<void> {
  const keys = await scanKeys(config, pattern);
  if (keys.length === 0) return;
  const client = rawRedis(config);
  try {
    await Promise.all(keys.map((key) => client.unlink(key)));
  } finally {
    client.disconnect();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Polls `condition` until it holds (no fixed sleeps); fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 10000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`,
  );
}
