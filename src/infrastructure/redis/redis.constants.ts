import type { Cluster, Redis } from 'ioredis';

/** The shared, auto-pipelined connection (a single node or a Cluster client). Never used for blocking reads. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

export type RedisClient = Redis | Cluster;
