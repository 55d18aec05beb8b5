import { defineScripts } from '../../infrastructure/redis/lua-scripts';
import type { RedisClient } from '../../infrastructure/redis/redis.constants';

/** The fixed-window request counter of ./rate-limit.lua: { hits in the window, ms until the window ends }. */
export type RateLimitCommand = (key: string, windowMs: number) => Promise<[number, number]>;

/** Defines the rate-limit script on the client (once per client) through the common loader. */
export function rateLimitScript(redis: RedisClient): RateLimitCommand {
  const scripts = defineScripts(redis, __dirname, { 'rate-limit': 1 });
  return (key, windowMs) => scripts.run<[number, number]>('rate-limit', [key], [windowMs]);
}

/** ./authenticate-and-count.lua: {} not the agent's token | { 1 } not counted | { 1, hits, ms left }. */
export type AuthenticateAndCountCommand = (
  meta: string,
  counter: string,
  hash: string,
  windowMs: number,
) => Promise<number[]>;

/** Defines the token check + request count script on the client through the common loader. */
export function authenticateAndCountScript(redis: RedisClient): AuthenticateAndCountCommand {
  const scripts = defineScripts(redis, __dirname, { 'authenticate-and-count': 2 });
  return (meta, counter, hash, windowMs) =>
    scripts.run<number[]>('authenticate-and-count', [meta, counter], [hash, windowMs]);
}
