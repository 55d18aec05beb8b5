import { Redis } from 'ioredis';

/** CPU seconds the Redis server has used (user + system), from INFO cpu. Server-wide: includes other clients. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Runs `work` and returns its result with the Redis CPU it cost: seconds, and percent of one core. */
export async function withRedisCpu<T>(
  redis: Redis,
  work: () => Promise<T>,
): Promise<{ result: T; redisCpuSeconds: number; redisCpuPercent: number }> {
  const before = await redisCpuSeconds(redis);
  const started = process.hrtime.bigint();
  const result = await work();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const used = (await redisCpuSeconds(redis)) - before;
  return { result, redisCpuSeconds: used, redisCpuPercent: (used / elapsed) * 100 };
}
