import { randomBytes } from 'node:crypto';
import { ConfigType, registerAs } from '@nestjs/config';
import { weakAdminTokenReason } from './admin-token';
import { EnvironmentVariables, validateEnvironment } from './environment';

/** Connections of a replica's main Postgres pool (requests, registrations, readiness, the inline archiver). */
export const MAIN_POOL_CONNECTIONS = 10;

/** The typed configuration object the rest of Brain injects (`@Inject(brainConfig.KEY)`). */
export function toBrainConfig(env: EnvironmentVariables) {
  const generatedAdminToken = !env.BRAIN_ADMIN_TOKEN && env.BRAIN_AUTH && env.NODE_ENV !== 'production';
  if (!env.BRAIN_ADMIN_TOKEN && env.BRAIN_AUTH && env.NODE_ENV === 'production') {
    throw new Error(
      'Invalid environment: BRAIN_ADMIN_TOKEN=null (required in production while BRAIN_AUTH is on)',
    );
  }
  if (!env.BRAIN_AUTH && env.NODE_ENV === 'production') {
    throw new Error('Invalid environment: BRAIN_AUTH="off" (not allowed in production)');
  }
  const weakToken = env.BRAIN_ADMIN_TOKEN && weakAdminTokenReason(env.BRAIN_ADMIN_TOKEN);
  if (weakToken) {
    // The value is not repeated: it is a secret, even a bad one.
    throw new Error(
      `Invalid environment: BRAIN_ADMIN_TOKEN (${weakToken}, so it is easy to guess; use a long random secret, e.g. \`openssl rand -base64 32\`)`,
    );
  }
  return {
    env: env.NODE_ENV,
    http: {
      port: env.PORT,
      host: env.HOST,
      maxPayloadBytes: env.BRAIN_MAX_PAYLOAD_BYTES,
      shutdownDrainMs: env.BRAIN_SHUTDOWN_DRAIN_MS,
      headersTimeoutMs: env.BRAIN_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.BRAIN_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.BRAIN_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.BRAIN_MAX_CONNECTIONS,
      maxConnectionsPerAddress: env.BRAIN_MAX_CONNECTIONS_PER_ADDRESS,
      trustProxy: trustedProxies(env.BRAIN_TRUST_PROXY),
    },
    logLevel: env.LOG_LEVEL,
    redis: {
      url: env.REDIS_URL,
      clusterNodes: env.REDIS_CLUSTER_NODES
        ? env.REDIS_CLUSTER_NODES.split(',').map((node) => {
            const [host, port] = node.split(':');
            return { host, port: Number(port) };
          })
        : undefined,
      prefix: env.BRAIN_REDIS_PREFIX,
      commandTimeoutMs: env.BRAIN_REDIS_COMMAND_TIMEOUT_MS,
      maxWaiters: env.BRAIN_MAX_WAITERS,
      eventKeepAliveMs: env.BRAIN_SSE_KEEPALIVE_MS,
    },
    // The archive thread has a smaller pool of its own, named brain-archive (archive-thread.ts).
    database: { url: env.DATABASE_URL, connections: MAIN_POOL_CONNECTIONS, applicationName: 'brain' },
    messages: {
      streamMaxLen: env.BRAIN_STREAM_MAXLEN,
      retentionMs: env.BRAIN_RETENTION_HOURS * 60 * 60 * 1000,
      visibilityTimeoutMs: env.BRAIN_VISIBILITY_TIMEOUT_MS,
      maxDeliveries: env.BRAIN_MAX_DELIVERIES,
    },
    archive: {
      intervalMs: env.BRAIN_ARCHIVE_INTERVAL_MS,
      batchSize: env.BRAIN_ARCHIVE_BATCH,
      mode: env.BRAIN_ARCHIVER,
    },
    memory: { historyDays: env.BRAIN_HISTORY_DAYS, maxPageBytes: env.BRAIN_MAX_PAGE_BYTES },
    auth: {
      enabled: env.BRAIN_AUTH,
      // Outside production a missing admin token is generated and logged once, so `npm start` works on a fresh machine.
      adminToken: env.BRAIN_ADMIN_TOKEN ?? (generatedAdminToken ? randomBytes(24).toString('base64url') : ''),
      adminTokenGenerated: generatedAdminToken,
      rateLimitPerMinute: env.BRAIN_RATE_LIMIT_PER_MINUTE,
      failuresPerMinute: env.BRAIN_AUTH_FAILURES_PER_MINUTE,
    },
    metrics: { token: env.BRAIN_METRICS_TOKEN },
    exampleAgent: { enabled: env.BRAIN_EXAMPLE_AGENT },
    workers: env.BRAIN_WORKERS,
    mcp: {
      maxSessions: env.BRAIN_MCP_MAX_SESSIONS,
      maxSessionsPerAgent: env.BRAIN_MCP_MAX_SESSIONS_PER_AGENT,
      sessionIdleMs: env.BRAIN_MCP_SESSION_IDLE_MS,
    },
  };
}

/** Who may report the client's address: off, a hop count, or the proxies' addresses (see trustProxyOption). */
function trustedProxies(setting: string | undefined): boolean | number | string {
  if (!setting) return false;
  return /^\d+$/.test(setting) ? Number(setting) : setting;
}

export type BrainConfig = ReturnType<typeof toBrainConfig>;

export const brainConfig = registerAs('brain', () => toBrainConfig(validateEnvironment(process.env)));
export type BrainConfigType = ConfigType<typeof brainConfig>;
