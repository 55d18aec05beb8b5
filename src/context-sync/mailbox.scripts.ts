import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from '../infrastructure/redis/redis.constants';

/** The Lua scripts of ContextSync, each a file in ./lua with a header listing KEYS, ARGV and the reply. */
/**
 * Each script with its fixed number of KEYS. Fixed, not variable: ioredis' auto-pipelining on a Cluster routes a
 * call by its first argument, which must therefore be a key, not a key count.
 */
const SCRIPTS = {
  publish: 6,
  fetch: 9,
  ack: 12,
  'register-agent': 6,
  'join-broadcast': 7,
  trim: 2,
  requeue: 9,
  'drop-dead-letter': 4,
  'set-token-hash': 1,
} as const;
export type ScriptName = keyof typeof SCRIPTS;

const common = (): string => readFileSync(join(__dirname, 'lua', '_common.lua'), 'utf8');

/**
 * Defines every script as a custom command on the client: ioredis sends EVALSHA and falls back to EVAL after a
 * Redis restart (NOSCRIPT), and on a Cluster routes each call by its first key, whose slot all its keys share.
 */
export function defineMailboxScripts(redis: RedisClient): void {
  const prelude = common();
  for (const [name, numberOfKeys] of Object.entries(SCRIPTS)) {
    if (typeof (redis as unknown as Record<string, unknown>)[commandName(name as ScriptName)] === 'function')
      continue;
    const body = readFileSync(join(__dirname, 'lua', `${name}.lua`), 'utf8');
    redis.defineCommand(commandName(name as ScriptName), { lua: `${prelude}\n${body}`, numberOfKeys });
  }
}

export function commandName(name: ScriptName): string {
  return `brain_${name.replace(/-/g, '_')}`;
}

/** Calls a defined script; `keys` must be exactly as many as the script declares. */
export function runScript<T>(
  redis: RedisClient,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<T> {
  if (keys.length !== SCRIPTS[name])
    throw new Error(`script ${name} takes ${SCRIPTS[name]} keys, got ${keys.length}`);
  const command = (redis as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[commandName(name)];
  return command.call(redis, ...keys, ...args);
}
