import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { MemoryRecord, MemoryViewer, Page } from './memory-record';

const ENTRY_TTL_MS = 60_000;
const INVALIDATE_ATTEMPTS = 3;
/** A page larger than this is not worth a copy in Redis: Postgres serves it as fast as it is read. */
export const MAX_CACHED_PAGE_BYTES = 64 * 1024;
/** What one reader may add to the cache per ENTRY_TTL_MS, whatever it queries: beyond it, its pages are not cached. */
export const READER_CACHE_BUDGET_BYTES = 1024 * 1024;

/** A lookup: the page if it was cached, and the version to store a freshly read page under (none: don't store). */
export interface CacheLookup {
  page?: Page<MemoryRecord>;
  version?: string;
}

/**
 * Read cache of memory queries, per agent. Every entry key carries the agent's version; a write bumps the version
 * (INCR) after it commits, so a read that follows a write never finds an entry from before it. Readers read the
 * version before they query Postgres, so an entry stored late lands under the old version and is never read.
 * A missing version starts at the current time in ms rather than 0: entries of before a wipe of Redis keys are then
 * never matched by a version counted up again from nothing.
 *
 * What a reader can make Redis hold is bounded: no page over MAX_CACHED_PAGE_BYTES, and at most
 * READER_CACHE_BUDGET_BYTES per reader per entry lifetime, so many distinct queries (say, `until` moved by a
 * millisecond each time) cost Redis little.
 *
 * The cache is an optimisation only: any Redis failure (or corrupt entry) falls through to Postgres.
 */
@Injectable()
export class MemoryCache {
  private readonly logger = new Logger('MemoryCache');
  private readonly keys: RedisKeys;
  /** Agents whose invalidation failed: this replica bypasses their cache until the time given (ms). */
  private readonly bypassUntil = new Map<string, number>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(brainConfig.KEY) config: BrainConfigType,
  ) {
    this.keys = new RedisKeys(config.redis.prefix);
  }

  /** sha256 of the query as given (already normalised by the caller), e.g. { scope, type, tags, q, ... }. */
  static hash(query: unknown): string {
    return createHash('sha256').update(JSON.stringify(query)).digest('hex');
  }

  async lookup(agentId: string, queryHash: string): Promise<CacheLookup> {
    const bypass = this.bypassUntil.get(agentId);
    if (bypass !== undefined) {
      if (bypass > Date.now()) return {};
      this.bypassUntil.delete(agentId);
    }
    try {
      const versionKey = this.keys.memoryCacheVersion(agentId);
      let version = await this.redis.get(versionKey);
      if (version === null) {
        await this.redis.set(versionKey, String(Date.now()), 'NX');
        version = await this.redis.get(versionKey);
        if (version === null) return {};
      }
      const cached = await this.redis.get(this.keys.memoryCacheEntry(agentId, version, queryHash));
      return cached === null ? { version } : { version, page: JSON.parse(cached) as Page<MemoryRecord> };
    } catch (error) {
      this.logger.debug(`cache read skipped: ${(error as Error).message}`);
      return {};
    }
  }

  /**
   * Keeps `page` for a short while, and never past the moment its first record expires: an expired record must
   * not come back from the cache either. `firstExpiry` is the earliest expiry of the rows read for it. Pages too
   * large, or beyond what `reader` may still add, are not kept; `contextBytes` (the stored size of the records'
   * contexts) tells a large page before it is serialised.
   */
  async store(
    key: { agentId: string; version: string; queryHash: string },
    page: Page<MemoryRecord>,
    sizes: { contextBytes: number; firstExpiry: Date | null },
    reader: MemoryViewer,
  ): Promise<void> {
    const { firstExpiry } = sizes;
    const ttlMs = Math.min(ENTRY_TTL_MS, firstExpiry ? firstExpiry.getTime() - Date.now() : ENTRY_TTL_MS);
    if (ttlMs <= 0 || sizes.contextBytes > MAX_CACHED_PAGE_BYTES) return;
    const json = JSON.stringify(page);
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_CACHED_PAGE_BYTES) return;
    try {
      const budgetKey = this.keys.memoryCacheBudget('admin' in reader ? null : reader.agentId);
      // The window starts with the reader's first entry; INCRBY keeps the key's TTL.
      await this.redis.set(budgetKey, '0', 'PX', ENTRY_TTL_MS, 'NX');
      if ((await this.redis.incrby(budgetKey, bytes)) > READER_CACHE_BUDGET_BYTES) return;
      const entry = this.keys.memoryCacheEntry(key.agentId, key.version, key.queryHash);
      await this.redis.set(entry, json, 'PX', ttlMs);
    } catch (error) {
      this.logger.debug(`cache write skipped: ${(error as Error).message}`);
    }
  }

  /**
   * Called after a write to these agents' memories committed. Retries a little; if Redis still refuses, this
   * replica stops trusting those agents' entries until they have all expired (other replicas, which may still
   * hold one, are covered only by the entry TTL: a stale read is then possible for at most ENTRY_TTL_MS).
   */
  async invalidate(agentIds: Iterable<string>): Promise<void> {
    await Promise.all([...new Set(agentIds)].map((agentId) => this.invalidateOne(agentId)));
  }

  private async invalidateOne(agentId: string): Promise<void> {
    for (let attempt = 1; attempt <= INVALIDATE_ATTEMPTS; attempt++) {
      try {
        const versionKey = this.keys.memoryCacheVersion(agentId);
        // A missing version starts from the clock here too (see above), then moves on.
        await this.redis.set(versionKey, String(Date.now()), 'NX');
        await this.redis.incr(versionKey);
        return;
      } catch (error) {
        if (attempt === INVALIDATE_ATTEMPTS) {
          this.bypassUntil.set(agentId, Date.now() + ENTRY_TTL_MS);
          this.logger.warn(
            `could not invalidate the memory cache of '${agentId}': ${(error as Error).message}`,
          );
        }
      }
    }
  }
}
