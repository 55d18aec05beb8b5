import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../../src/common/errors';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { MemoryQuery, MemoryRecord, MemoryViewer, StoreMemoryInput } from '../../src/memory/memory-record';
import { MemoryService } from '../../src/memory/memory.service';
import {
  newTestEnvironment,
  rawRedis,
  scanKeys,
  TestEnvironment,
  waitFor,
} from '../support/test-environment';
import { MemoryInstance, runSql, startMemory } from './memory-harness';

const NOVA: MemoryViewer = { agentId: 'nova' };
const DEXTER: MemoryViewer = { agentId: 'dexter' };
const ADMIN: MemoryViewer = { admin: true };

const newestFirst = (a: MemoryRecord, b: MemoryRecord): number =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1;

describe('MemoryService: memories, visibility, expiry and the read cache (integration)', () => {
  let environment: TestEnvironment;
  let instance: MemoryInstance;
  let memory: MemoryService;
  const stored: MemoryRecord[] = [];

  /** Every page of a query, following nextCursor; checks page sizes on the way. */
  async function allPages(
    agentId: string,
    viewer: MemoryViewer,
    query: Omit<MemoryQuery, 'limit'>,
    limit = 3,
  ) {
    const items: MemoryRecord[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await memory.queryMemories(agentId, viewer, { ...query, limit, cursor });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      if (!page.nextCursor) return items;
      expect(page.items).toHaveLength(limit);
      cursor = page.nextCursor;
    }
    throw new Error('pagination did not end');
  }

  const expected = (agentId: string, viewer: MemoryViewer, keep: (r: MemoryRecord) => boolean) =>
    stored
      .filter((r) => r.agentId === agentId && keep(r))
      .filter((r) => 'admin' in viewer || viewer.agentId === agentId || r.visibility === 'shared')
      .sort(newestFirst);

  const ids = (records: MemoryRecord[]) => records.map((r) => r.id);

  async function store(agentId: string, input: StoreMemoryInput): Promise<MemoryRecord> {
    const record = await memory.storeMemory(agentId, input);
    stored.push(record);
    return record;
  }

  /** Inserts a memory with plain SQL (not through the service, so nothing is invalidated); returns its id. */
  async function sneakMemory(agentId: string, tags: string[]): Promise<string> {
    const id = randomUUID();
    await sql(
      `INSERT INTO memories (id, agent_id, context, tags, created_at) VALUES ($1, $2, '{}', $3, now() - interval '1 hour')`,
      [id, agentId, tags],
    );
    return id;
  }

  async function deleteMemory(id: string): Promise<void> {
    await sql('DELETE FROM memories WHERE id = $1', [id]);
  }

  const sql = (text: string, values: unknown[]) => runSql(environment.config, text, values);

  beforeAll(async () => {
    environment = newTestEnvironment('memqueries');
    instance = await startMemory(environment.config);
    memory = instance.memory;
    const fixture: [string, StoreMemoryInput][] = [
      [
        'nova',
        {
          type: 'sales_data',
          tags: ['q3', 'emea'],
          context: { summary: 'Quarterly revenue report for EMEA' },
        },
      ],
      [
        'nova',
        {
          type: 'sales_data',
          tags: ['q3', 'apac'],
          context: { summary: 'Revenue forecast', region: 'APAC' },
        },
      ],
      ['nova', { type: 'note', tags: ['q3'], context: { text: 'meeting notes about the sales forecast' } }],
      [
        'nova',
        {
          type: 'sales_data',
          tags: ['q4', 'emea'],
          context: { summary: 'draft revenue numbers', total: 1234 },
        },
      ],
      [
        'nova',
        { type: 'secret', tags: ['q3', 'emea'], visibility: 'private', context: { summary: 'revenue plan' } },
      ],
      ['nova', { tags: [], context: { nested: { deep: ['reports', 'archive'] } } }],
      [
        'nova',
        { type: 'sales_data', tags: ['emea', 'q3'], context: { summary: 'EMEA reports, second pass' } },
      ],
      [
        'nova',
        { type: 'note', tags: ['apac'], visibility: 'private', context: { text: 'private forecast' } },
      ],
      ['dexter', { type: 'sales_data', tags: ['q3', 'emea'], context: { summary: 'dexter revenue report' } }],
    ];
    for (const [agentId, input] of fixture) await store(agentId, input);
  });

  afterAll(async () => {
    await instance?.close();
    await environment?.dispose();
  });

  it('returns what it stored exactly as a read returns it, characters jsonb cannot hold (NUL, lone surrogates) kept', async () => {
    const odd = await memory.storeMemory('zed', {
      type: 'odd',
      tags: ['t'],
      context: { s: 'a\u0000b', d: new Date(0), 'k\ud800': 'x\udc00', 'k\u0000': [1] },
    });
    expect(odd).toMatchObject({
      type: 'odd',
      tags: ['t'],
      context: { s: 'a\u0000b', d: '1970-01-01T00:00:00.000Z', 'k\ud800': 'x\udc00', 'k\u0000': [1] },
    });
    expect((await memory.queryMemories('zed', { agentId: 'zed' }, { limit: 1 })).items).toEqual([odd]);
  });

  it.each([
    ['NUL', 'odd\u0000'],
    ['a lone high surrogate', 'x\ud800y'],
    ['a lone low surrogate', 'y\udc00'],
  ])('refuses a type or tag with %s as REST does (contract: 400), storing nothing', async (_what, text) => {
    const refused = async (call: Promise<unknown>, field: string) => {
      await expect(call).rejects.toThrow(InvalidRequestError);
      await expect(call).rejects.toThrow(`${field} must not contain NUL or unpaired surrogate characters`);
    };
    const viewer = { agentId: 'yan' };
    await refused(memory.storeMemory('yan', { type: text, context: {} }), 'type');
    await refused(memory.storeMemory('yan', { tags: ['ok', text], context: {} }), 'tags');
    await refused(memory.queryMemories('yan', viewer, { limit: 1, type: text }), 'type');
    await refused(memory.queryMemories('yan', viewer, { limit: 1, tags: [text] }), 'tags');
    expect((await memory.queryMemories('yan', viewer, { limit: 1 })).items).toEqual([]);
  });

  it('returns a stored record as given, with defaults', () => {
    const [first] = stored;
    expect(first).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      agentId: 'nova',
      kind: 'context',
      type: 'sales_data',
      context: { summary: 'Quarterly revenue report for EMEA' },
      tags: ['q3', 'emea'],
      visibility: 'shared',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      expiresAt: null,
    });
  });

  it('lists everything newest first across pages, for the owner and the admin', async () => {
    for (const viewer of [NOVA, ADMIN]) {
      const all = await allPages('nova', viewer, {});
      expect(ids(all)).toEqual(ids(expected('nova', viewer, () => true)));
      expect(all).toHaveLength(8);
    }
    expect(await allPages('nova', NOVA, {}, 1000)).toEqual(await allPages('nova', NOVA, {}, 2));
  });

  it('filters by type, by tags (all of them) and by both', async () => {
    const byType = await allPages('nova', NOVA, { type: 'sales_data' });
    expect(ids(byType)).toEqual(ids(expected('nova', NOVA, (r) => r.type === 'sales_data')));
    expect(byType).toHaveLength(4);

    const byTags = await allPages('nova', NOVA, { tags: ['emea', 'q3'] }, 2);
    const hasAll = (r: MemoryRecord) => r.tags.includes('emea') && r.tags.includes('q3');
    expect(ids(byTags)).toEqual(ids(expected('nova', NOVA, hasAll)));
    expect(byTags).toHaveLength(3);

    const both = await allPages('nova', NOVA, { type: 'sales_data', tags: ['q3'] }, 1);
    expect(ids(both)).toEqual(
      ids(expected('nova', NOVA, (r) => r.type === 'sales_data' && r.tags.includes('q3'))),
    );
    expect(both).toHaveLength(3);
  });

  it('searches the full text of context, type and tags (stemmed, websearch syntax)', async () => {
    const summaryOf = (records: MemoryRecord[]) =>
      records.map((r) => r.context.summary ?? r.context.text ?? 'nested');
    expect(summaryOf(await allPages('nova', NOVA, { q: 'revenue' }))).toEqual([
      'revenue plan',
      'draft revenue numbers',
      'Revenue forecast',
      'Quarterly revenue report for EMEA',
    ]);
    expect(summaryOf(await allPages('nova', NOVA, { q: 'revenue -draft -plan' }))).toEqual([
      'Revenue forecast',
      'Quarterly revenue report for EMEA',
    ]);
    // "report" matches "reports", in nested arrays too; the private one is not shown to dexter.
    expect(summaryOf(await allPages('nova', DEXTER, { q: 'report' }))).toEqual([
      'EMEA reports, second pass',
      'nested',
      'Quarterly revenue report for EMEA',
    ]);
    expect(summaryOf(await allPages('nova', NOVA, { q: '"sales forecast"' }))).toEqual([
      'meeting notes about the sales forecast',
    ]);
    expect(summaryOf(await allPages('nova', NOVA, { q: 'apac' }))).toEqual([
      'private forecast',
      'Revenue forecast',
    ]);
    expect(summaryOf(await allPages('nova', NOVA, { q: '1234' }))).toEqual(['draft revenue numbers']);
    expect(await allPages('nova', NOVA, { q: 'revenue', type: 'note' })).toEqual([]);
  });

  it('filters by time window: since inclusive, until exclusive', async () => {
    const ordered = expected('nova', NOVA, () => true).reverse();
    const since = new Date(ordered[2].createdAt);
    const until = new Date(ordered[6].createdAt);
    const inWindow = (r: MemoryRecord) =>
      r.createdAt >= ordered[2].createdAt && r.createdAt < ordered[6].createdAt;
    const page = await allPages('nova', NOVA, { since, until }, 2);
    expect(ids(page)).toEqual(ids(expected('nova', NOVA, inWindow)));
    expect(page.length).toBeGreaterThan(0);
    const onlySince = await allPages('nova', NOVA, { since, tags: ['q3'] });
    expect(ids(onlySince)).toEqual(
      ids(expected('nova', NOVA, (r) => r.createdAt >= ordered[2].createdAt && r.tags.includes('q3'))),
    );
  });

  it('never shows private records to another agent, whatever the query', async () => {
    const queries: Omit<MemoryQuery, 'limit'>[] = [
      {},
      { type: 'secret' },
      { tags: ['apac'] },
      { q: 'plan' },
      { q: 'private' },
    ];
    for (const query of queries) {
      const seen = await allPages('nova', DEXTER, query);
      expect(seen.every((r) => r.visibility === 'shared')).toBe(true);
    }
    expect(await allPages('nova', DEXTER, { type: 'secret' })).toEqual([]);
    expect(ids(await allPages('nova', DEXTER, {}))).toEqual(ids(expected('nova', DEXTER, () => true)));
    expect(await allPages('nova', DEXTER, {})).toHaveLength(6);
    // Nor does one agent's query return another agent's records.
    expect(ids(await allPages('dexter', NOVA, {}))).toEqual(ids(expected('dexter', NOVA, () => true)));
  });

  it('returns the new record on the same query right after a write (cache invalidated)', async () => {
    const query = { tags: ['fresh'], limit: 10 };
    expect((await memory.queryMemories('nova', DEXTER, query)).items).toEqual([]);
    // The answer is cached now, and served from the cache.
    const keys = new RedisKeys(environment.config.redis.prefix);
    const entries = await scanKeys(
      environment.config,
      `${keys.memoryCacheVersion('nova').replace(/version$/, '')}*`,
    );
    expect(entries.length).toBeGreaterThan(1);
    // Served from the cache indeed: a row slipped into Postgres behind the service's back is not seen...
    const sneaked = await sneakMemory('nova', ['fresh']);
    expect((await memory.queryMemories('nova', DEXTER, query)).items).toEqual([]);

    // ...until a write through the service invalidates the agent's entries.
    const first = await store('nova', { tags: ['fresh'], context: { n: 1 } });
    expect(ids((await memory.queryMemories('nova', DEXTER, query)).items)).toEqual([first.id, sneaked]);
    await deleteMemory(sneaked);
    const second = await store('nova', { tags: ['fresh'], context: { n: 2 } });
    expect((await memory.queryMemories('nova', DEXTER, query)).items).toEqual([second, first]);
    // A private record invalidates too, but only its owner sees it.
    const hidden = await store('nova', { tags: ['fresh'], visibility: 'private', context: { n: 3 } });
    expect((await memory.queryMemories('nova', NOVA, query)).items).toEqual([hidden, second, first]);
    expect((await memory.queryMemories('nova', DEXTER, query)).items).toEqual([second, first]);
  });

  it('never returns an expired record, from Postgres or from the cache', async () => {
    const query = { tags: ['short-lived'], limit: 10 };
    const lasting = await store('nova', {
      tags: ['short-lived'],
      context: { stays: true },
      ttlSeconds: 3600,
    });
    const fleeting = await store('nova', { tags: ['short-lived'], context: { stays: false }, ttlSeconds: 1 });
    expect(Date.parse(fleeting.expiresAt!) - Date.parse(fleeting.createdAt)).toBe(1000);
    // Cached while both are alive...
    expect((await memory.queryMemories('nova', NOVA, query)).items).toEqual([fleeting, lasting]);
    // ...and still never served once the fleeting one has expired.
    const after = await waitFor(
      async () => {
        const page = await memory.queryMemories('nova', NOVA, query);
        return page.items.length === 1 && page;
      },
      'the expired record to disappear',
      5000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(fleeting.expiresAt!));
    expect(after.items).toEqual([lasting]);
    expect((await memory.queryMemories('nova', NOVA, { q: 'false', limit: 10 })).items).toEqual([]);
  });

  it('answers from Postgres when the cache is broken or Redis is away', async () => {
    const keys = new RedisKeys(environment.config.redis.prefix);
    const redis = rawRedis(environment.config);
    try {
      // A version that is not a number: reads skip the cache, invalidation fails, writes still show at once.
      await redis.set(keys.memoryCacheVersion('nova'), 'garbage');
      const query = { tags: ['robust'], limit: 10 };
      expect((await memory.queryMemories('nova', NOVA, query)).items).toEqual([]);
      const one = await store('nova', { tags: ['robust'], context: { n: 1 } });
      expect((await memory.queryMemories('nova', NOVA, query)).items).toEqual([one]);
      await redis.del(keys.memoryCacheVersion('nova'));
    } finally {
      redis.disconnect();
    }

    // Redis gone altogether (another agent, whose cache this replica has not given up on).
    instance.redis.disconnect();
    try {
      const query = { tags: ['offline'], limit: 10 };
      expect((await memory.queryMemories('dexter', DEXTER, query)).items).toEqual([]);
      const two = await store('dexter', { tags: ['offline'], context: { n: 2 } });
      expect((await memory.queryMemories('dexter', DEXTER, query)).items).toEqual([two]);
    } finally {
      await instance.redis.connect();
    }
    expect(
      (await memory.queryMemories('dexter', DEXTER, { tags: ['offline'], limit: 10 })).items,
    ).toHaveLength(1);
  });

  it('refuses bad input with InvalidRequestError before touching anything', async () => {
    const bad: [string, () => Promise<unknown>][] = [
      ['limit 0', () => memory.queryMemories('nova', NOVA, { limit: 0 })],
      ['limit 1001', () => memory.queryMemories('nova', NOVA, { limit: 1001 })],
      ['garbage cursor', () => memory.queryMemories('nova', NOVA, { limit: 5, cursor: 'not-a-cursor' })],
      [
        'forged cursor',
        () =>
          memory.queryMemories('nova', NOVA, { limit: 5, cursor: Buffer.from('x|y').toString('base64url') }),
      ],
      [
        'window reversed',
        () => memory.queryMemories('nova', NOVA, { limit: 5, since: new Date(2), until: new Date(1) }),
      ],
      ['invalid date', () => memory.queryMemories('nova', NOVA, { limit: 5, since: new Date('nope') })],
      ['agent id', () => memory.queryMemories('Nova!', NOVA, { limit: 5 })],
      ['broadcast', () => memory.storeMemory('broadcast', { context: {} })],
      ['context', () => memory.storeMemory('nova', { context: [] as unknown as Record<string, unknown> })],
      ['ttl', () => memory.storeMemory('nova', { context: {}, ttlSeconds: 0 })],
      ['visibility', () => memory.storeMemory('nova', { context: {}, visibility: 'public' as 'shared' })],
      ['tags', () => memory.storeMemory('nova', { context: {}, tags: [''] })],
    ];
    for (const [what, call] of bad) {
      const outcome = await call().then(
        () => 'resolved',
        (error: Error) => (error instanceof InvalidRequestError ? 'InvalidRequestError' : error.message),
      );
      expect(`${what}: ${outcome}`).toBe(`${what}: InvalidRequestError`);
    }
  });

  it('holds in-process callers to the REST limits (common/limits), at the limit and one past it', async () => {
    const tags = (count: number, length = 1) =>
      Array.from({ length: count }, (_, i) => `${i}`.padEnd(length, 't'));
    const atLimit = await memory.storeMemory('lim', {
      context: {},
      type: 't'.repeat(64),
      tags: tags(32, 64),
    });
    expect(atLimit.tags).toHaveLength(32);
    const past: [string, () => Promise<unknown>][] = [
      ['type of 65', () => memory.storeMemory('lim', { context: {}, type: 't'.repeat(65) })],
      ['33 tags', () => memory.storeMemory('lim', { context: {}, tags: tags(33) })],
      ['tag of 65', () => memory.storeMemory('lim', { context: {}, tags: ['t'.repeat(65)] })],
      ['query type of 65', () => memory.queryMemories('nova', NOVA, { limit: 5, type: 't'.repeat(65) })],
      ['q of 257', () => memory.queryMemories('nova', NOVA, { limit: 5, q: 'q'.repeat(257) })],
      // REST refuses these too: a tag with a comma could never be asked for, NUL cannot reach Postgres.
      ['tag with a comma', () => memory.storeMemory('lim', { context: {}, tags: ['q3,emea'] })],
      ['q with NUL', () => memory.queryMemories('nova', NOVA, { limit: 5, q: 'a\u0000b' })],
    ];
    for (const [what, call] of past) {
      const outcome = await call().then(
        () => 'resolved',
        (error: Error) => (error instanceof InvalidRequestError ? 'InvalidRequestError' : error.message),
      );
      expect(`${what}: ${outcome}`).toBe(`${what}: InvalidRequestError`);
    }
  });
});
