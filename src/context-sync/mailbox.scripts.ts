import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from '../infrastructure/redis/redis.constants';

/** The Lua scripts of ContextSync, each a file in ./lua with a header listing KEYS, ARGV and the reply. */
const SCRIPTS = ['publish', 'fetch', 'ack', 'register-agent', 'join-broadcast', 'trim', 'requeue'] as const;
export type ScriptName = (typeof SCRIPTS)[number];

const common = (): string => readFileSync(join(__dirname, 'lua', '_common.lua'), 'utf8');

/**
 * Defines every script as a custom command on the client: ioredis sends EVALSHA and falls back to EVAL after a
 * Redis restart (NOSCRIPT), and on a Cluster routes each call by its first key, whose slot all its keys share.
 */
export function defineMailboxScripts(redis: RedisClient): void {
  const prelude = common();
  for (const name of SCRIPTS) {
    if (typeof (redis as unknown as Record<string, unknown>)[commandName(name)] === 'function') continue;
    const body = readFileSync(join(__dirname, 'lua', `${name}.lua`), 'utf8');
    redis.defineCommand(commandName(name), { lua: `${prelude}\n${body}` });
  }
}

export function commandName(name: ScriptName): string {
  return `brain_${name.replace(/-/g, '_')}`;
}

/** Calls a defined script with a variable number of keys. */
export function runScript<T>(
  redis: RedisClient,
  name: ScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<T> {
  const command = (redis as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[commandName(name)];
  return command.call(redis, keys.length, ...keys, ...args);
}
