import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InvalidRequestError } from '../common/errors';
import { isSafeText, SAFE_TEXT_RULE } from '../common/json-input';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { checkedType, isAgentId, MESSAGE_ID_PATTERN } from '../common/ids';
import {
  MAX_PAGE_LIMIT,
  MAX_QUERY_TEXT_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  MAX_TTL_SECONDS,
} from '../common/limits';
import type { ArchivedAck, ArchivedMessage } from './archive-records';
import { AGENT_REGISTRATIONS, type AgentRegistrations } from './agent-registrations';
import { decodeCursor } from './cursor';
import { HistoryRepository } from './history.repository';
import { InsightsRepository, InsightsScope } from './insights.repository';
import { MemoriesRepository } from './memories.repository';
import { MemoryCache } from './memory-cache';
import {
  Insights,
  MemoryQuery,
  MemoryRecord,
  MemoryViewer,
  Page,
  PageQuery,
  StoreMemoryInput,
  VISIBILITIES,
} from './memory-record';
import { MessagesRepository } from './messages.repository';
import { toRecordPage } from './record-rows';

const INSIGHTS_TOP = 20;
const DEFAULT_INSIGHTS_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Rows per DELETE of the retention job: each statement holds its row locks only briefly. */
const DELETE_BATCH = 5000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Brain's long-term memory in Postgres: the archive of every message, agents' context records, history,
 * conversations and insights. Holds the rules (validation, visibility, expiry, caching, retention); the
 * repositories hold the SQL.
 */
@Injectable()
export class MemoryService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly memories: MemoriesRepository,
    private readonly history: HistoryRepository,
    private readonly insights: InsightsRepository,
    @Inject(AGENT_REGISTRATIONS) private readonly registrations: AgentRegistrations,
    private readonly cache: MemoryCache,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  /** At-least-once in, exactly-once stored: one INSERT per batch, known ids skipped. Returns rows inserted. */
  async archiveMessages(batch: ArchivedMessage[]): Promise<number> {
    return batch.length ? this.messages.insertBatch(batch) : 0;
  }

  /** A recipient's ack is stored once, with its first time. Returns rows inserted. */
  async archiveAcks(batch: ArchivedAck[]): Promise<number> {
    return batch.length ? this.messages.insertAcks(batch) : 0;
  }

  async findArchivedMessage(id: string): Promise<{ message: ArchivedMessage; acks: ArchivedAck[] } | null> {
    const lower = String(id).toLowerCase();
    if (!MESSAGE_ID_PATTERN.test(lower)) return null;
    const message = await this.messages.findById(lower);
    return message ? { message, acks: await this.messages.findAcks(message.id) } : null;
  }

  async countArchivedMessages(): Promise<number> {
    return this.messages.count();
  }

  async storeMemory(agentId: string, input: StoreMemoryInput): Promise<MemoryRecord> {
    checkAgentId(agentId);
    const context = input.context as unknown;
    if (!context || typeof context !== 'object' || Array.isArray(context))
      throw new InvalidRequestError('context must be a JSON object');
    const visibility = input.visibility ?? 'shared';
    if (!VISIBILITIES.includes(visibility))
      throw new InvalidRequestError(`visibility must be one of ${VISIBILITIES.join(', ')}`);
    const ttl = input.ttlSeconds;
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS))
      throw new InvalidRequestError(`ttlSeconds must be an integer between 1 and ${MAX_TTL_SECONDS}`);
    const createdAt = new Date();
    const record = await this.memories.insert({
      id: randomUUID(),
      agentId,
      type: checkedType(input.type),
      context: input.context,
      tags: checkTags(input.tags ?? []),
      visibility,
      createdAt,
      expiresAt: ttl === undefined ? null : new Date(createdAt.getTime() + ttl * 1000),
    });
    await this.cache.invalidate([agentId]);
    return record;
  }

  /**
   * An agent's memories, newest first, at most `limit` and BRAIN_MAX_PAGE_BYTES of JSON per page. Other agents see
   * shared records only; expired records never come back. An agent sees only the records of the owner's current
   * incarnation (a deleted id registered again starts empty); the admin sees all.
   * Served from the read cache when the same query (same viewer scope) was answered since the last write.
   */
  async queryMemories(
    agentId: string,
    viewer: MemoryViewer,
    query: MemoryQuery,
  ): Promise<Page<MemoryRecord>> {
    checkAgentId(agentId);
    const limit = checkLimit(query.limit);
    const after = decodeCursor(query.cursor);
    const admin = 'admin' in viewer && viewer.admin;
    const sharedOnly = !admin && !('agentId' in viewer && viewer.agentId === agentId);
    const type = checkedType(query.type) ?? undefined;
    const tags = query.tags?.length ? [...checkTags(query.tags)].sort() : undefined;
    const text = query.q?.trim() || undefined;
    if (text && text.length > MAX_QUERY_TEXT_LENGTH)
      throw new InvalidRequestError(`q must be at most ${MAX_QUERY_TEXT_LENGTH} characters`);
    if (text && !isSafeText(text)) throw new InvalidRequestError(`q ${SAFE_TEXT_RULE}`);
    const since = checkDate('since', query.since);
    const until = checkDate('until', query.until);
    if (since && until && since >= until) throw new InvalidRequestError('since must be before until');
    const registeredAt = admin ? undefined : ((await this.registeredAt(agentId)) ?? undefined);

    const queryHash = MemoryCache.hash({
      scope: sharedOnly ? 'shared' : 'all',
      registeredAt: registeredAt?.toISOString(),
      type,
      tags,
      text,
      since: since?.toISOString(),
      until: until?.toISOString(),
      limit,
      cursor: query.cursor,
    });
    const cached = await this.cache.lookup(agentId, queryHash);
    if (cached.page) return cached.page;

    const filter = { agentId, liveAt: new Date(), sharedOnly, type, tags, text, since, until, registeredAt };
    const rows = await this.memories.findPage(filter, after, limit + 1, this.config.memory.maxPageBytes);
    const page = toRecordPage(rows, limit, this.config.memory.maxPageBytes);
    // Later pages of a query are read once, while paging through it: not worth caching.
    if (cached.version && !query.cursor) {
      const expiries = rows.map((row) => row.expires_at).filter((at): at is Date => at !== null);
      const firstExpiry = expiries.length ? new Date(Math.min(...expiries.map(Number))) : null;
      const contextBytes = rows.slice(0, page.items.length).reduce((sum, row) => sum + row.bytes, 0);
      const key = { agentId, version: cached.version, queryHash };
      await this.cache.store(key, page, { contextBytes, firstExpiry }, viewer);
    }
    return page;
  }

  /**
   * An agent's timeline, newest first: its memories (private ones too: only the agent itself or the admin may
   * ask), the messages it sent, the direct messages it received, and the broadcasts by others that it received,
   * i.e. those published since it registered (as for pending messages). Messages are authored by their sender
   * (agentId = fromAgent). An agent no longer registered keeps its memories and direct messages, not broadcasts.
   * The agent itself sees only its current incarnation (records since it registered); the admin sees all.
   */
  async getHistory(
    agentId: string,
    page: PageQuery,
    viewer: MemoryViewer = { admin: true },
  ): Promise<Page<MemoryRecord>> {
    checkAgentId(agentId);
    const limit = checkLimit(page.limit);
    const after = decodeCursor(page.cursor);
    // The registration date is read within the history statement itself (one round trip).
    const range = { sinceRegistration: !('admin' in viewer), now: new Date() };
    const maxBytes = this.config.memory.maxPageBytes;
    const rows = await this.history.findHistory(agentId, range, after, limit + 1, maxBytes);
    return toRecordPage(rows, limit, maxBytes);
  }

  /**
   * Direct messages between a and b, both directions, newest first (broadcasts are to everyone, not between two).
   * An agent sees only what was sent since both sides' current registrations; the admin sees all.
   */
  async getConversation(
    a: string,
    b: string,
    page: PageQuery,
    viewer: MemoryViewer = { admin: true },
  ): Promise<Page<MemoryRecord>> {
    checkAgentId(a);
    checkAgentId(b);
    const limit = checkLimit(page.limit);
    const after = decodeCursor(page.cursor);
    // The registration dates are read within the conversation statement itself (one round trip).
    const pair = { a, b, sinceRegistrations: !('admin' in viewer) };
    const maxBytes = this.config.memory.maxPageBytes;
    const rows = await this.messages.findConversation(pair, after, limit + 1, maxBytes);
    return toRecordPage(rows, limit, maxBytes);
  }

  /**
   * Activity in [since, until). `sent` counts every message an agent sent, a broadcast once; `received` counts
   * direct messages only (a broadcast has no single recipient: it shows in `pairs` as to 'broadcast');
   * `memories` counts live records, private ones included (a count reveals no content). Types and tags come from
   * messages and shared memories only, so private records' labels never leak to other agents.
   * Without `until`, the window ends now; without `since`, it is the 24 hours before `until`.
   * An agent counts only what it may see (InsightsScope): its own traffic, broadcasts, shared memories and its own
   * private ones, since it registered; the admin counts everything.
   */
  async getInsights(since?: Date, until?: Date, viewer: MemoryViewer = { admin: true }): Promise<Insights> {
    const to = checkDate('until', until) ?? new Date();
    const from = checkDate('since', since) ?? new Date(to.getTime() - DEFAULT_INSIGHTS_WINDOW_MS);
    if (from >= to) throw new InvalidRequestError('since must be before until');
    const window = { since: from, until: to, now: new Date() };
    const scope: InsightsScope =
      'admin' in viewer
        ? { all: true }
        : { agentId: viewer.agentId, since: await this.registeredAt(viewer.agentId) };
    const [agents, pairs, topTypes, topTags] = await Promise.all([
      this.insights.agentActivity(window, scope),
      this.insights.topPairs(window, scope, INSIGHTS_TOP),
      this.insights.topTypes(window, scope, INSIGHTS_TOP),
      this.insights.topTags(window, scope, INSIGHTS_TOP),
    ]);
    return { since: from.toISOString(), until: to.toISOString(), agents, pairs, topTypes, topTags };
  }

  /**
   * The hourly retention: expired memories, and messages (with their acks) older than BRAIN_HISTORY_DAYS.
   * Deletes in batches, so no statement holds many row locks for long. Idempotent.
   */
  async deleteExpired(now: Date = new Date()): Promise<{ memories: number; messages: number }> {
    let memories = 0;
    for (let batch = DELETE_BATCH; batch === DELETE_BATCH;) {
      const deleted = await this.memories.deleteExpiredBatch(now, DELETE_BATCH);
      await this.cache.invalidate(deleted.agentIds);
      memories += deleted.count;
      batch = deleted.count;
    }
    const cutoff = new Date(now.getTime() - this.config.memory.historyDays * DAY_MS);
    let messages = 0;
    for (let batch = DELETE_BATCH; batch === DELETE_BATCH;) {
      batch = await this.messages.deleteBatchCreatedBefore(cutoff, DELETE_BATCH);
      messages += batch;
    }
    for (let batch = DELETE_BATCH; batch === DELETE_BATCH;) {
      batch = await this.messages.deleteAckBatchBefore(cutoff, DELETE_BATCH);
    }
    return { memories, messages };
  }

  /** When the agent registered (the start of its current incarnation), or null if it is not registered. */
  private async registeredAt(agentId: string): Promise<Date | null> {
    return this.registrations.registeredAt(agentId);
  }

  /** Every archived message and ack and every memory: gone. (The agents themselves are the registry's: BrainAI.) */
  async clear(): Promise<void> {
    const owners = await this.memories.findAgentIds();
    await this.messages.truncate();
    await this.memories.truncate();
    await this.cache.invalidate(owners);
  }
}

function checkAgentId(agentId: string): void {
  if (typeof agentId !== 'string' || !isAgentId(agentId))
    throw new InvalidRequestError(`agent id '${String(agentId)}' is not valid`);
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT)
    throw new InvalidRequestError(`limit must be an integer between 1 and ${MAX_PAGE_LIMIT}`);
  return limit;
}

/** Tags are kept as given, without repeats. */
function checkTags(tags: string[]): string[] {
  const valid =
    Array.isArray(tags) &&
    tags.length <= MAX_TAGS &&
    tags.every(
      (tag) =>
        typeof tag === 'string' && tag.length >= 1 && tag.length <= MAX_TAG_LENGTH && !tag.includes(','),
    );
  // No commas: tags travel as comma lists in queries, so a tag with one could be stored but never asked for.
  if (!valid)
    throw new InvalidRequestError(
      `tags must be a list of at most ${MAX_TAGS} strings of 1..${MAX_TAG_LENGTH} characters without commas`,
    );
  if (!tags.every(isSafeText)) throw new InvalidRequestError(`tags ${SAFE_TEXT_RULE}`);
  return [...new Set(tags)];
}

function checkDate(name: string, value: Date | undefined): Date | undefined {
  if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime())))
    throw new InvalidRequestError(`${name} must be a valid date`);
  return value;
}
