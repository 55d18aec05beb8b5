/**
 * Tells failures of Redis or Postgres (refused, reset, timed out, shutting down) from bugs, so that they become
 * a 503 "try again" instead of a 500. Returns which dependency failed, or undefined for anything else.
 */
const REDIS_UNAVAILABLE = [
  /Stream isn't writeable/i,
  /Connection is closed/i,
  /Command timed out/i,
  /Reached the max retries per request/i,
  /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/,
  /Failed to refresh slots cache|None of startup nodes is available/i,
  /^OOM command not allowed/,
];

const POSTGRES_UNAVAILABLE = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /canceling statement due to statement timeout/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
];
// Class 08 (connection exception), 57P (operator intervention), 53300 (too many connections).
const POSTGRES_UNAVAILABLE_CODE = /^(08...|57P0[1-3]|53300)$/;
const SOCKET_CODE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND)$/;

export type Dependency = 'redis' | 'postgres';

export function unavailableDependency(error: unknown): Dependency | undefined {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    driverError?: { code?: string; message?: string };
  };
  if (!e) return undefined;
  const message = e.message ?? '';
  const code = e.driverError?.code ?? e.code ?? '';
  if (e.name === 'MaxRetriesPerRequestError' || e.name === 'ClusterAllFailedError') return 'redis';
  if (REDIS_UNAVAILABLE.some((pattern) => pattern.test(message))) return 'redis';
  if (POSTGRES_UNAVAILABLE_CODE.test(code)) return 'postgres';
  if (POSTGRES_UNAVAILABLE.some((pattern) => pattern.test(`${message} ${e.driverError?.message ?? ''}`)))
    return 'postgres';
  // A bare socket error: ioredis reports its own as above, so one reaching here comes from the pg pool.
  if (SOCKET_CODE.test(code)) return 'postgres';
  return undefined;
}
