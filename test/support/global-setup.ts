/**
 * Finds a Redis and a Postgres for the integration suites: REDIS_URL / DATABASE_URL when set, else the local
 * defaults, else containers (testcontainers) where a Docker engine exists, else a clear error saying what to do.
 */
import { execSync } from 'node:child_process';
import { Socket } from 'node:net';

const DEFAULT_REDIS = 'redis://127.0.0.1:6379';
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/brain';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
  });
}

function dockerAvailable(): boolean {
  try {
    execSync('docker info', { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  process.env.REDIS_URL ??= DEFAULT_REDIS;
  process.env.DATABASE_URL ??= DEFAULT_POSTGRES;
  const clusterNodes = process.env.REDIS_CLUSTER_NODES;
  const redisUrl = clusterNodes ? `redis://${clusterNodes.split(',')[0]}` : process.env.REDIS_URL;
  const [redisUp, postgresUp] = await Promise.all([reachable(redisUrl), reachable(process.env.DATABASE_URL)]);
  if (redisUp && postgresUp) return;

  if (dockerAvailable()) {
    // Loaded only here: machines without Docker never need the package's runtime.
    const { GenericContainer, Wait } = await import('testcontainers');
    if (!redisUp) {
      const redis = await new GenericContainer('redis:7-alpine')
        .withCommand(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'])
        .withExposedPorts(6379)
        .start();
      process.env.REDIS_URL = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`;
    }
    if (!postgresUp) {
      const postgres = await new GenericContainer('postgres:16-alpine')
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      process.env.DATABASE_URL = `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/brain`;
    }
    return;
  }

  const missing = [
    !redisUp && `Redis at ${redisUrl}`,
    !postgresUp && `Postgres at ${process.env.DATABASE_URL}`,
  ]
    .filter(Boolean)
    .join(' and ');
  throw new Error(
    `The integration tests need a real Redis and Postgres, and ${missing} did not answer. ` +
      'Start them locally, or set REDIS_URL / DATABASE_URL, or run a Docker engine so testcontainers can start them.',
  );
}
