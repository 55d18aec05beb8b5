import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from './redis.constants';

/**
 * The one way Brain loads Lua: each script a `<name>.lua` file (with a header listing KEYS, ARGV and the reply),
 * defined as a custom ioredis command. ioredis then sends EVALSHA and falls back to EVAL after a Redis restart
 * (NOSCRIPT), and on a Cluster routes each call by its first key, whose slot all the script's keys share.
 *
 * Each script declares a fixed number of KEYS, never a variable one: auto-pipelining on a Cluster routes a call by
 * its first argument, which must therefore be a key, not a key count.
 */
export type ScriptTable = Record<string, number>;

export interface ScriptOptions {
  /** A file of `dir` (without `.lua`) prepended to every script, e.g. shared helper functions. */
  prelude?: string;
}

export interface Scripts<Names extends string> {
  /** Calls a defined script; `keys` must be exactly as many as the script declares. */
  run<T>(name: Names, keys: string[], args: (string | number)[]): Promise<T>;
}

export function commandName(name: string): string {
  return `brain_${name.replace(/-/g, '_')}`;
}

/**
 * Defines the scripts `<dir>/<name>.lua` on the client (once per client: later calls reuse the definitions) and
 * returns their runner. `dir` is the caller's `__dirname`, so this works from the sources and from dist, where the
 * build copies the .lua files beside the compiled code (nest-cli.json assets).
 */
export function defineScripts<Table extends ScriptTable>(
  redis: RedisClient,
  dir: string,
  scripts: Table,
  options: ScriptOptions = {},
): Scripts<Extract<keyof Table, string>> {
  const read = (file: string): string => readFileSync(join(dir, `${file}.lua`), 'utf8');
  let prelude: string | undefined;
  for (const [name, numberOfKeys] of Object.entries(scripts)) {
    if (isDefined(redis, name)) continue;
    if (options.prelude !== undefined) prelude ??= read(options.prelude);
    const body = read(name);
    redis.defineCommand(commandName(name), {
      lua: prelude === undefined ? body : `${prelude}\n${body}`,
      numberOfKeys,
    });
  }
  return { run: (name, keys, args) => runScript(redis, scripts, name, keys, args) };
}

/** Calls a script that `defineScripts` defined on this client; `keys` must be exactly as many as it declares. */
export function runScript<T, Table extends ScriptTable = ScriptTable>(
  redis: RedisClient,
  scripts: Table,
  name: Extract<keyof Table, string>,
  keys: string[],
  args: (string | number)[],
): Promise<T> {
  if (keys.length !== scripts[name])
    throw new Error(`script ${name} takes ${scripts[name]} keys, got ${keys.length}`);
  const command = (redis as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[commandName(name)];
  // Two arrays, not spread arguments: ioredis flattens them once into the command (a spread copies them again at
  // every layer), and on a Cluster still routes by the first key.
  return command.call(redis, keys, args);
}

function isDefined(redis: RedisClient, name: string): boolean {
  return typeof (redis as unknown as Record<string, unknown>)[commandName(name)] === 'function';
}
