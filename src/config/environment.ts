import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(normalized)) return true;
  if (['off', 'false', '0', 'no'].includes(normalized)) return false;
  return value;
};

/** Env values are strings; convert explicitly rather than trusting reflected types. */
const IntegerBetween = (min: number, max: number) =>
  applyDecorators(
    Type(() => Number),
    IsInt({ message: `must be an integer between ${min} and ${max}` }),
    Min(min, { message: `must be an integer between ${min} and ${max}` }),
    Max(max, { message: `must be an integer between ${min} and ${max}` }),
  );

/**
 * Every setting Brain reads from the environment, with its default.
 * Names and defaults follow ../shared/api/contract.md; the README's settings table mirrors this class.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IntegerBetween(0, 65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Comma list of host:port; when set, ioredis' Cluster client is used instead of REDIS_URL. */
  @IsOptional()
  @Matches(/^[^,:\s]+:\d{1,5}(,[^,:\s]+:\d{1,5})*$/, { message: 'must be a comma list of host:port' })
  REDIS_CLUSTER_NODES?: string;

  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/brain';

  /** Prefix of every Redis key Brain owns; lets test suites (or two Brains) share one Redis. */
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'must match ^[a-z][a-z0-9_-]{0,31}$' })
  BRAIN_REDIS_PREFIX = 'brain';

  @IntegerBetween(1024, 16 * 1024 * 1024)
  BRAIN_MAX_PAYLOAD_BYTES = 262144;

  /** Largest JSON of one page of memories, history or conversations; a page stops early, its cursor continuing it. */
  @IntegerBetween(65536, 256 * 1024 * 1024)
  BRAIN_MAX_PAGE_BYTES = 4194304;

  @IntegerBetween(100, 10_000_000)
  BRAIN_STREAM_MAXLEN = 10000;

  @IntegerBetween(1, 24 * 365)
  BRAIN_RETENTION_HOURS = 24;

  @IntegerBetween(1, 3650)
  BRAIN_HISTORY_DAYS = 90;

  @IntegerBetween(100, 24 * 60 * 60 * 1000)
  BRAIN_VISIBILITY_TIMEOUT_MS = 30000;

  @IntegerBetween(1, 1000)
  BRAIN_MAX_DELIVERIES = 5;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  @MaxLength(512)
  BRAIN_ADMIN_TOKEN?: string;

  @Transform(toBoolean)
  @IsBoolean({ message: 'must be on or off' })
  BRAIN_AUTH = true;

  @IsOptional()
  @IsString()
  @MinLength(8)
  BRAIN_METRICS_TOKEN?: string;

  /** Requests per minute per agent; 0 switches rate limiting off. */
  @IntegerBetween(0, 10_000_000)
  BRAIN_RATE_LIMIT_PER_MINUTE = 6000;

  /** Failed authentications per minute from one client address, after which it gets 429 until the minute ends; 0 = off. */
  @IntegerBetween(0, 1_000_000)
  BRAIN_AUTH_FAILURES_PER_MINUTE = 60;

  /**
   * The proxies in front of Brain (comma list of addresses or CIDR ranges, or a hop count): their
   * X-Forwarded-For then names the client address that the per-address limits count. Unset: the socket's address.
   */
  @IsOptional()
  @Matches(/^(\d{1,2}|[0-9A-Fa-f:.]+(\/\d{1,3})?(,[0-9A-Fa-f:.]+(\/\d{1,3})?)*)$/, {
    message: 'must be a hop count or a comma list of addresses or CIDR ranges',
  })
  BRAIN_TRUST_PROXY?: string;

  /** How long a client may take to send a request's headers; a slower (dripping) connection is closed. */
  @IntegerBetween(1000, 600_000)
  BRAIN_HEADERS_TIMEOUT_MS = 10000;

  /** How long a client may take to send a whole request, body included; the answer (a long poll) is not counted. */
  @IntegerBetween(1000, 3_600_000)
  BRAIN_REQUEST_TIMEOUT_MS = 30000;

  /** How long an idle keep-alive connection stays open between requests. */
  @IntegerBetween(1000, 600_000)
  BRAIN_KEEP_ALIVE_TIMEOUT_MS = 72000;

  /** Open connections the process accepts in all; more are closed at once. */
  @IntegerBetween(1, 1_000_000)
  BRAIN_MAX_CONNECTIONS = 10000;

  /** Open connections one client address may hold; more from it are closed at once (0 = no per-address cap). */
  @IntegerBetween(0, 1_000_000)
  BRAIN_MAX_CONNECTIONS_PER_ADDRESS = 1000;

  /** Upper bound for one Redis command; a slow or dead Redis then fails a request fast instead of hanging it. */
  @IntegerBetween(50, 60000)
  BRAIN_REDIS_COMMAND_TIMEOUT_MS = 2000;

  /** How many long polls (`wait`) and event streams may wait at once per replica (429 beyond); they share one subscriber. */
  @IntegerBetween(1, 10000)
  BRAIN_MAX_WAITERS = 200;

  /** An event stream (`GET /v1/agents/{id}/events`) sends a comment line this often, so proxies keep it open. */
  @IntegerBetween(50, 60000)
  BRAIN_SSE_KEEPALIVE_MS = 15000;

  /** Open MCP sessions (/mcp) on this replica, all agents together; beyond it a new session answers 429. */
  @IntegerBetween(1, 100000)
  BRAIN_MCP_MAX_SESSIONS = 1000;

  /** Open MCP sessions of one agent on this replica; beyond it its new session answers 429. */
  @IntegerBetween(1, 1000)
  BRAIN_MCP_MAX_SESSIONS_PER_AGENT = 8;

  /**
   * An MCP session without a request for this long is closed (its client then starts a new one). At least a
   * minute, so a session is never swept while its longest call (a 30 s check_inbox wait) runs.
   */
  @IntegerBetween(60_000, 86_400_000)
  BRAIN_MCP_SESSION_IDLE_MS = 1_800_000;

  /** After SIGTERM, how long readiness answers 503 before the server stops accepting, so load balancers drain it. */
  @IntegerBetween(0, 60000)
  BRAIN_SHUTDOWN_DRAIN_MS = 0;

  /** How often each replica's archiver polls the streams for entries not yet in Postgres. */
  @IntegerBetween(10, 60000)
  BRAIN_ARCHIVE_INTERVAL_MS = 200;

  @IntegerBetween(1, 10000)
  BRAIN_ARCHIVE_BATCH = 500;

  /**
   * Where the archiver (and the length trims it drives) runs: `thread`, a worker thread of this process with its own
   * Redis and Postgres connections, so the request loop serves HTTP only; `inline`, on the request loop itself.
   */
  @IsIn(['thread', 'inline'], { message: 'must be thread or inline' })
  BRAIN_ARCHIVER: 'thread' | 'inline' = 'thread';

  /**
   * Processes serving HTTP on this machine (node:cluster, one shared port), each a full replica; 1 = no cluster,
   * one process. 1 by default: on the measured 2-core machine a second worker won nothing reliable, and MCP sessions
   * are bound to the process that opened them (README, Performance). Set it to the cores on a machine whose Redis
   * and Postgres live elsewhere.
   */
  @IntegerBetween(1, 256)
  BRAIN_WORKERS = 1;

  /** Runs the example in-process agent `echo` (src/example-agent), which registers itself: off unless asked for. */
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be on or off' })
  BRAIN_EXAMPLE_AGENT = false;
}

/** Turns process.env into validated settings, or throws naming every bad variable. */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  // Empty strings mean "unset" (docker-compose writes FOO= for unset variables).
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(EnvironmentVariables, defined, { enableImplicitConversion: true });
  const errors = validateSync(env, { skipMissingProperties: false, stopAtFirstError: true });
  if (errors.length > 0) {
    const reasons = errors.map((error) => {
      const why = Object.values(error.constraints ?? {}).join('; ');
      return `${error.property}=${JSON.stringify(raw[error.property] ?? null)} (${why})`;
    });
    throw new Error(`Invalid environment: ${reasons.join(', ')}`);
  }
  return env;
}
