import { Inject, Injectable } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { MetricsService } from './metrics.service';
import { Snapshot } from './snapshot';

/** INFO is cheap but not free; every replica asks at most this often, whatever the number of scrapes. */
export const REDIS_MEMORY_MEASURE_EVERY_MS = 10_000;

interface NodeMemory {
  node: string;
  used: number;
  max: number;
}

/**
 * Redis memory per master (`INFO memory`), so the "Redis near its limit" alert needs no redis_exporter: with
 * `noeviction`, a full Redis refuses every publish. `max` is 0 when Redis has no `maxmemory`.
 */
@Injectable()
export class RedisMemoryMetrics {
  private readonly memory = new Snapshot(() => this.measure(), REDIS_MEMORY_MEASURE_EVERY_MS);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    metrics: MetricsService,
  ) {
    const every = `measured at most every ${REDIS_MEMORY_MEASURE_EVERY_MS / 1000} s`;
    metrics.registerLabelledGauge(
      'brain_redis_memory_used_bytes',
      `Redis used_memory per master (${every})`,
      ['node'],
      async () => (await this.memory.get()).map(({ node, used }) => ({ labels: { node }, value: used })),
    );
    metrics.registerLabelledGauge(
      'brain_redis_memory_max_bytes',
      `Redis maxmemory per master, 0 when unlimited (${every})`,
      ['node'],
      async () => (await this.memory.get()).map(({ node, max }) => ({ labels: { node }, value: max })),
    );
  }

  private async measure(): Promise<NodeMemory[]> {
    const nodes: Redis[] = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    return Promise.all(
      nodes.map(async (node) => {
        const info = await node.info('memory');
        const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
        return {
          node: `${node.options.host}:${node.options.port}`,
          used: field('used_memory'),
          max: field('maxmemory'),
        };
      }),
    );
  }
}
