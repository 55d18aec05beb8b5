import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandName, defineScripts } from './lua-scripts';
import type { RedisClient } from './redis.constants';

describe('defineScripts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brain-lua-'));
  writeFileSync(join(dir, '_prelude.lua'), 'local function helper() return 1 end');
  writeFileSync(join(dir, 'one-key.lua'), 'return helper()');
  writeFileSync(join(dir, 'two-keys.lua'), 'return 2');

  /** Just enough of ioredis: defineCommand adds a method that records its calls. */
  const fakeRedis = () => {
    const calls: unknown[][] = [];
    const client: Record<string, unknown> = {};
    const defineCommand = jest.fn((name: string) => {
      client[name] = (...args: unknown[]) => Promise.resolve(calls.push([name, ...args]));
    });
    client.defineCommand = defineCommand;
    return { redis: client as unknown as RedisClient, defineCommand, calls };
  };

  it('defines each file as a command with its key count, the prelude first', () => {
    const { redis, defineCommand } = fakeRedis();
    defineScripts(redis, dir, { 'one-key': 1, 'two-keys': 2 }, { prelude: '_prelude' });
    expect(defineCommand).toHaveBeenCalledWith('brain_one_key', {
      lua: 'local function helper() return 1 end\nreturn helper()',
      numberOfKeys: 1,
    });
    expect(defineCommand).toHaveBeenCalledWith('brain_two_keys', {
      lua: 'local function helper() return 1 end\nreturn 2',
      numberOfKeys: 2,
    });
  });

  it('defines a script as it is when there is no prelude', () => {
    const { redis, defineCommand } = fakeRedis();
    defineScripts(redis, dir, { 'two-keys': 2 });
    expect(defineCommand).toHaveBeenCalledWith('brain_two_keys', { lua: 'return 2', numberOfKeys: 2 });
  });

  it('defines a script once per client, however many times it is asked', () => {
    const { redis, defineCommand } = fakeRedis();
    defineScripts(redis, dir, { 'two-keys': 2 });
    defineScripts(redis, dir, { 'two-keys': 2 });
    expect(defineCommand).toHaveBeenCalledTimes(1);
  });

  it('calls the command with the keys, then the arguments (two arrays, which ioredis flattens in order)', async () => {
    const { redis, calls } = fakeRedis();
    const scripts = defineScripts(redis, dir, { 'two-keys': 2 });
    await scripts.run('two-keys', ['k1', 'k2'], ['a', 3]);
    expect(calls).toEqual([[commandName('two-keys'), ['k1', 'k2'], ['a', 3]]]);
  });

  it('refuses a call with another number of keys than the script declares', () => {
    const { redis, calls } = fakeRedis();
    const scripts = defineScripts(redis, dir, { 'two-keys': 2 });
    expect(() => scripts.run('two-keys', ['k1'], ['k2'])).toThrow('script two-keys takes 2 keys, got 1');
    expect(calls).toEqual([]);
  });

  it('fails at definition when a script file is missing, not at its first call', () => {
    const { redis } = fakeRedis();
    expect(() => defineScripts(redis, dir, { missing: 1 })).toThrow(/missing\.lua/);
  });
});
