import { cpus, totalmem } from 'node:os';
import { Client } from 'pg';
import { Redis } from 'ioredis';

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  node: string;
  redis: string;
  redisPersistence: string;
  postgres: string;
}

/** What every figure is measured on; printed with the table so a reader can compare like with like. */
export async function describeMachine(redisUrl: string, databaseUrl: string): Promise<Machine> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  const info = await redis.info('server');
  const persistence = await redis.info('persistence');
  redis.disconnect();
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const pg = new Client({ connectionString: maintenance.toString() });
  await pg.connect();
  const version = (await pg.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  await pg.end();
  const field = (text: string, name: string) =>
    new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '?';
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? '?',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: field(info, 'redis_version'),
    redisPersistence: `aof=${field(persistence, 'aof_enabled') === '1' ? 'on' : 'off'}`,
    postgres: version.split(' ')[0],
  };
}

export function machineLine(machine: Machine): string {
  return (
    `${machine.cores} cores (${machine.cpu}), ${machine.memoryGb} GB, Node ${machine.node}, ` +
    `Redis ${machine.redis} (${machine.redisPersistence}), PostgreSQL ${machine.postgres}`
  );
}
