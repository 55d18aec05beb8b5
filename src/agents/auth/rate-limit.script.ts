import { defineScripts } from '../../infrastructure/redis/lua-scripts';
import type { RedisClient } from '../../infrastructure/redis/redis.constants';

/** The fixed-window request counter of ./rate-limit.lua: { hits in the window, ms until the window ends }. */
export type RateLimitCommand = (key: string, windowMs: number) => Promise<[number, number]>;

/** Defines the rate-limit script on the client (once per client) through the common loader. */
export function rateLimitScript(redis: RedisClient): RateLimitCommand {
  const scripts = defineScripts(redis, __dirname, { 'rate-limit': 1 });
  return (key, windowMs) => scripts.run<[number, number]>('rate-limit', [key], [windowMs]);
}
