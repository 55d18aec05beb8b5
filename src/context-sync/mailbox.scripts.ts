import { join } from 'node:path';
import { defineScripts, runScript as run } from '../infrastructure/redis/lua-scripts';
import type { RedisClient } from '../infrastructure/redis/redis.constants';

/**
 * The Lua scripts of ContextSync, each a file in ./lua with a header listing KEYS, ARGV and the reply, and each with
 * its fixed number of KEYS. `_common.lua` (shared helpers) is prepended to every one.
 */
const SCRIPTS = {
  publish: 6,
  fetch: 11,
  ack: 12,
  'register-agent': 6,
  'join-broadcast': 7,
  trim: 2,
  requeue: 9,
  'drop-dead-letter': 4,
  'set-token-hash': 1,
  'extend-lease': 7,
  'mirror-capabilities': 1,
  nack: 11,
  'delay-schedule': 2,
  'delay-claim': 2,
  'fold-acked': 2,
} as const;
export type ScriptName = keyof typeof SCRIPTS;

/** Defines every ContextSync script on the client (once per client), through the common loader. */
export function defineMailboxScripts(redis: RedisClient): void {
  defineScripts(redis, join(__dirname, 'lua'), SCRIPTS, { prelude: '_common' });
}

/** Calls a defined script; `keys` must be exactly as many as the script declares. */
export function runScript<T>(
  redis: RedisClient,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<T> {
  return run<T, typeof SCRIPTS>(redis, SCRIPTS, name, keys, args);
}
