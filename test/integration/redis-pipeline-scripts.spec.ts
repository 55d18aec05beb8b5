import { Logger } from '@nestjs/common';
import { Pipeline } from 'ioredis';
import {
  RedisConnectionFactory,
  connectQuietly,
} from '../../src/infrastructure/redis/redis-connection.factory';
import { RedisClient } from '../../src/infrastructure/redis/redis.constants';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';

/**
 * The shared connection's pipelines find Brain's scripts on a shared prototype instead of ioredis copying each
 * script onto every auto-pipelined batch (src/infrastructure/redis/shared-pipeline-scripts.ts). Against the real
 * Redis (and the Cluster, under `npm run test:cluster`): scripts still run, through auto-pipelining and explicit
 * pipelines, after Redis forgot them, and when defined after the first pipeline.
 */
describe('scripts on the shared connection (integration)', () => {
  let environment: TestEnvironment;
  let redis: RedisClient;
  const key = (name: string) => `${environment.config.redis.prefix}:{pipeline}:${name}`;
  type Scripted = RedisClient & Record<string, (...args: unknown[]) => Promise<unknown>>;

  beforeAll(async () => {
    environment = newTestEnvironment('pipescripts');
    redis = new RedisConnectionFactory(environment.config).createShared();
    await connectQuietly(redis, new Logger('test'));
    for (let i = 0; i < 12; i += 1)
      redis.defineCommand(`pipelineTest${i}`, { lua: `return {KEYS[1], ARGV[1], ${i}}`, numberOfKeys: 1 });
  });

  afterAll(async () => {
    redis.disconnect();
    await environment.dispose();
  });

  it('builds pipelines that carry no copy of each script, yet answer every script', async () => {
    const pipeline = redis.pipeline();
    expect(Object.keys(pipeline).filter((name) => name.startsWith('pipelineTest'))).toEqual([]);
    expect(pipeline).toBeInstanceOf(Pipeline);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (redis as Scripted)[`pipelineTest${i}`](key('a'), `v${i}`)),
    );
    expect(answers).toEqual(Array.from({ length: 12 }, (_, i) => [key('a'), `v${i}`, i]));
  });

  it('runs scripts again after Redis forgot them (NOSCRIPT), auto-pipelined and in an explicit pipeline', async () => {
    const flush = async () => {
      const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
      await Promise.all(nodes.map((node) => node.script('FLUSH')));
    };
    await flush();
    expect(await (redis as Scripted).pipelineTest3(key('b'), 'x')).toEqual([key('b'), 'x', 3]);
    await flush();
    const pipeline = redis.pipeline() as Pipeline & Record<string, (...args: unknown[]) => Pipeline>;
    pipeline.pipelineTest4(key('c'), 'y');
    pipeline.pipelineTest5Buffer(key('c'), 'z');
    const results = (await pipeline.exec()) ?? [];
    expect(results[0]).toEqual([null, [key('c'), 'y', 4]]);
    expect(results[1][0]).toBeNull();
    expect((results[1][1] as Buffer[]).slice(0, 2).map(String)).toEqual([key('c'), 'z']);
  });

  it('knows a script defined after its first pipelines', async () => {
    await (redis as Scripted).pipelineTest0(key('d'), 'first');
    redis.defineCommand('pipelineTestLate', { lua: 'return ARGV[1]', numberOfKeys: 1 });
    expect(await (redis as Scripted).pipelineTestLate(key('d'), 'late')).toBe('late');
  });

  it('leaves transactions as ioredis makes them', async () => {
    const answers = await redis.multi().set(key('e'), '1').incr(key('e')).exec();
    expect(answers).toEqual([
      [null, 'OK'],
      [null, 2],
    ]);
  });
});
