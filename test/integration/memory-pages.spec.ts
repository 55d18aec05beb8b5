import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../../src/common/errors';
import { ArchivedMessage } from '../../src/context-sync/context-message';
import { MemoryRecord, MemoryViewer, Page } from '../../src/memory/memory-record';
import { MemoryService } from '../../src/memory/memory.service';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';
import { MemoryInstance, runSql, startMemory } from './memory-harness';

const MAX_PAGE_BYTES = 65536;
const ADMIN: MemoryViewer = { admin: true };

/** Issue 11: pages bounded in bytes with exact cursors, a stable order within a millisecond, one incarnation. */
describe('MemoryService: page budget, same-millisecond order, re-registered ids (integration)', () => {
  let environment: TestEnvironment;
  let instance: MemoryInstance;
  let memory: MemoryService;

  const bytesOf = (page: Page<MemoryRecord>) => Buffer.byteLength(JSON.stringify(page));

  /** Every page of a list; checks each against the byte budget on the way. */
  async function walk(list: (cursor?: string) => Promise<Page<MemoryRecord>>): Promise<Page<MemoryRecord>[]> {
    const pages: Page<MemoryRecord>[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(cursor);
      if (page.items.length > 1) expect(bytesOf(page)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
      pages.push(page);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages.length < 200);
    return pages;
  }

  function message(
    from: string,
    to: string,
    createdAt: Date,
    streamId: string,
    payload: Record<string, unknown>,
  ): ArchivedMessage {
    return {
      id: randomUUID(),
      fromAgent: from,
      toAgent: to,
      priority: 'medium',
      type: null,
      payload,
      createdAt,
      streamId,
    };
  }

  beforeAll(async () => {
    environment = newTestEnvironment('mempages', { BRAIN_MAX_PAGE_BYTES: String(MAX_PAGE_BYTES) });
    instance = await startMemory(environment.config);
    memory = instance.memory;
  });

  afterAll(async () => {
    await instance?.close();
    await environment?.dispose();
  });

  it('stops a page of memories at BRAIN_MAX_PAGE_BYTES and continues exactly after it', async () => {
    const stored: MemoryRecord[] = [];
    for (let i = 0; i < 30; i++)
      stored.push(
        await memory.storeMemory('nova', { context: { i, text: 'm'.repeat(10_000) }, tags: ['big'] }),
      );
    // One record larger than the whole budget, in the middle of the list.
    stored.splice(
      15,
      0,
      await memory.storeMemory('nova', { context: { i: 'huge', text: 'h'.repeat(100_000) }, tags: ['big'] }),
    );
    for (let i = 30; i < 40; i++)
      stored.push(
        await memory.storeMemory('nova', { context: { i, text: 'm'.repeat(10_000) }, tags: ['big'] }),
      );

    const pages = await walk((cursor) =>
      memory.queryMemories('nova', { agentId: 'nova' }, { tags: ['big'], limit: 1000, cursor }),
    );
    const listed = pages.flatMap((page) => page.items);
    const newestFirst = [...stored].sort((a, b) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1,
    );
    expect(listed.map((r) => r.id)).toEqual(newestFirst.map((r) => r.id));
    // The huge record comes alone; every other page but the last is full: one more record would not fit.
    const huge = pages.find((page) => page.items.some((r) => r.context.i === 'huge'))!;
    expect(huge.items).toHaveLength(1);
    expect(bytesOf(huge)).toBeGreaterThan(MAX_PAGE_BYTES);
    for (const [index, page] of pages.entries()) {
      const next = pages[index + 1]?.items[0];
      if (page === huge || !next || next.context.i === 'huge') continue;
      expect(bytesOf(page) + Buffer.byteLength(JSON.stringify(next))).toBeGreaterThan(MAX_PAGE_BYTES);
    }
    expect(pages.at(-1)!.nextCursor).toBeNull();
    // `limit` still applies below the budget.
    expect((await memory.queryMemories('nova', ADMIN, { tags: ['big'], limit: 2 })).items).toHaveLength(2);
  });

  it('stops pages of history and conversations at the budget too, every message once and in order', async () => {
    const base = Date.now() - 60_000;
    const batch = Array.from({ length: 30 }, (_, i) =>
      message(i % 2 ? 'ada' : 'bob', i % 2 ? 'bob' : 'ada', new Date(base + i), `${base + i}-0`, {
        i,
        text: 'c'.repeat(8_000),
      }),
    );
    expect(await memory.archiveMessages(batch)).toBe(30);
    const expected = batch.map((m) => m.id).reverse();

    const conversation = await walk((cursor) =>
      memory.getConversation('ada', 'bob', { limit: 1000, cursor }),
    );
    expect(conversation.length).toBeGreaterThan(3);
    expect(conversation.flatMap((page) => page.items.map((r) => r.id))).toEqual(expected);

    const history = await walk((cursor) => memory.getHistory('ada', { limit: 1000, cursor }));
    expect(history.length).toBeGreaterThan(3);
    expect(history.flatMap((page) => page.items.map((r) => r.id))).toEqual(expected);
  });

  it('counts NUL and lone surrogates as the escapes pages send (6 bytes each), not as what jsonb holds', async () => {
    // 6,000 of them: 36 KB of JSON each, 18 KB as U+FFFD in jsonb; two records do not fit in 64 KB.
    const odd = (i: number) => ({ i, text: (i % 2 ? '\u0000' : '\ud800').repeat(6_000) });
    const stored: MemoryRecord[] = [];
    for (let i = 0; i < 6; i++) stored.push(await memory.storeMemory('nul', { context: odd(i) }));
    const base = Date.now() - 50_000;
    const batch = Array.from({ length: 6 }, (_, i) =>
      message('eve', 'fay', new Date(base + i), `${base + i}-0`, odd(i)),
    );
    expect(await memory.archiveMessages(batch)).toBe(6);

    const lists: [string, (cursor?: string) => Promise<Page<MemoryRecord>>, unknown[]][] = [
      ['memories', (cursor) => memory.queryMemories('nul', ADMIN, { limit: 1000, cursor }), stored],
      ['history', (cursor) => memory.getHistory('eve', { limit: 1000, cursor }), batch],
      ['conversation', (cursor) => memory.getConversation('fay', 'eve', { limit: 1000, cursor }), batch],
    ];
    for (const [name, list, records] of lists) {
      const pages = await walk(list);
      expect({ name, sizes: pages.map((page) => page.items.length) }).toEqual({
        name,
        sizes: [1, 1, 1, 1, 1, 1],
      });
      const contexts = pages.flatMap((page) => page.items.map((record) => JSON.stringify(record.context)));
      expect(contexts).toEqual(records.map((_, i) => JSON.stringify(odd(i))).reverse());
    }
  });

  it('orders messages of one millisecond by stream position, across pages and insert order', async () => {
    const at = new Date(Date.now() - 30_000);
    const ms = at.getTime();
    // Entry ids of one millisecond (sequence 0..19), then two of the next Redis millisecond; archived shuffled.
    const ordered = [
      ...Array.from({ length: 20 }, (_, i) => message('cyd', 'dot', at, `${ms}-${i}`, { n: i })),
      message('dot', 'cyd', at, `${ms + 1}-0`, { n: 20 }),
      message('cyd', 'dot', at, `${ms + 1}-1`, { n: 21 }),
    ];
    const shuffled = [...ordered].sort(() => Math.random() - 0.5);
    for (let i = 0; i < shuffled.length; i += 5) await memory.archiveMessages(shuffled.slice(i, i + 5));
    const expected = ordered.map((m) => m.id).reverse();
    for (const limit of [1, 3, 7, 1000]) {
      const conversation = await walk((cursor) => memory.getConversation('dot', 'cyd', { limit, cursor }));
      expect(conversation.flatMap((page) => page.items.map((r) => r.id))).toEqual(expected);
      const history = await walk((cursor) => memory.getHistory('cyd', { limit, cursor }));
      expect(history.flatMap((page) => page.items.map((r) => r.id))).toEqual(expected);
    }
  });

  it('accepts a cursor from before the tiebreak existed, and refuses a forged one', async () => {
    const first = await memory.getConversation('dot', 'cyd', { limit: 1 });
    const { createdAt, id } = first.items[0];
    const legacy = Buffer.from(`${createdAt}|${id}`).toString('base64url');
    // It continues from the start of its millisecond: records of that millisecond may come again, none is skipped.
    const next = await memory.getConversation('dot', 'cyd', { limit: 1000, cursor: legacy });
    expect(next.items.length).toBeGreaterThan(0);
    for (const cursor of [
      'bm9wZQ',
      Buffer.from(`${createdAt}|99999999999999999999|${id}`).toString('base64url'),
    ])
      await expect(memory.getConversation('dot', 'cyd', { limit: 1, cursor })).rejects.toThrow(
        InvalidRequestError,
      );
  });

  it("shows a re-registered id's agent none of the old agent's records; the admin keeps them", async () => {
    const firstRegistration = new Date(Date.now() - 120_000);
    await instance.agents.insert({ id: 'ivy', tokenHash: 'h', createdAt: firstRegistration });
    await instance.agents.insert({ id: 'joe', tokenHash: 'h', createdAt: firstRegistration });
    const old = new Date(Date.now() - 60_000);
    await memory.archiveMessages([
      message('ivy', 'joe', old, `${old.getTime()}-0`, { old: 1 }),
      message('joe', 'ivy', old, `${old.getTime()}-1`, { old: 2 }),
    ]);
    const oldPrivate = await memory.storeMemory('ivy', { context: { old: 3 }, visibility: 'private' });
    const oldShared = await memory.storeMemory('ivy', { context: { old: 4 } });
    const ivy: MemoryViewer = { agentId: 'ivy' };
    expect((await memory.getHistory('ivy', { limit: 50 }, ivy)).items).toHaveLength(4);

    await instance.agents.delete('ivy');
    await instance.agents.insert({ id: 'ivy', tokenHash: 'h2', createdAt: new Date() });
    const empty = { items: [], nextCursor: null };
    expect(await memory.getHistory('ivy', { limit: 50 }, ivy)).toEqual(empty);
    expect(await memory.queryMemories('ivy', ivy, { limit: 50 })).toEqual(empty);
    expect(await memory.queryMemories('ivy', { agentId: 'joe' }, { limit: 50 })).toEqual(empty);
    expect(await memory.getConversation('ivy', 'joe', { limit: 50 }, ivy)).toEqual(empty);
    expect(await memory.getConversation('ivy', 'joe', { limit: 50 }, { agentId: 'joe' })).toEqual(empty);

    const admin = await memory.getHistory('ivy', { limit: 50 });
    expect(admin.items.map((r) => r.id)).toEqual(expect.arrayContaining([oldPrivate.id, oldShared.id]));
    expect((await memory.queryMemories('ivy', ADMIN, { limit: 50 })).items).toHaveLength(2);
    const fresh = await memory.storeMemory('ivy', { context: { fresh: true }, visibility: 'private' });
    expect((await memory.queryMemories('ivy', ivy, { limit: 50 })).items).toEqual([fresh]);
  });

  it('bounds a history and a conversation by the registration at the millisecond the registry answers with', async () => {
    // Registered at .123456 (a row not written by Brain keeps its microseconds); a message and a broadcast of
    // .123 and a direct message of .122: the agent sees its registration's millisecond, not the one before.
    const registered = '2026-01-02T03:04:05.123456Z';
    await instance.agents.insert({ id: 'kim', tokenHash: 'h' });
    await runSql(environment.config, `UPDATE agents SET created_at = $1 WHERE id = 'kim'`, [registered]);
    expect((await instance.agents.findById('kim'))?.createdAt.toISOString()).toBe('2026-01-02T03:04:05.123Z');
    const [sameMs, msBefore] = [new Date('2026-01-02T03:04:05.123Z'), new Date('2026-01-02T03:04:05.122Z')];
    const kept = message('lee', 'kim', sameMs, `${sameMs.getTime()}-0`, { kept: 1 });
    const broadcast = message('lee', 'broadcast', sameMs, `${sameMs.getTime()}-1`, { kept: 2 });
    const before = message('lee', 'kim', msBefore, `${msBefore.getTime()}-0`, { before: 1 });
    const oldBroadcast = message('lee', 'broadcast', msBefore, `${msBefore.getTime()}-1`, { before: 2 });
    await memory.archiveMessages([kept, broadcast, before, oldBroadcast]);
    const ids = async (viewer: MemoryViewer) =>
      (await memory.getHistory('kim', { limit: 50 }, viewer)).items.map((record) => record.id);
    expect(await ids({ agentId: 'kim' })).toEqual([broadcast.id, kept.id]);
    // The admin sees every incarnation, but broadcasts only from the registration on.
    expect((await ids(ADMIN)).sort()).toEqual([broadcast.id, kept.id, before.id].sort());
    // A conversation with a side that is not registered (lee) is bounded by the other side's registration.
    const conversation = await memory.getConversation('kim', 'lee', { limit: 50 }, { agentId: 'kim' });
    expect(conversation.items.map((record) => record.id)).toEqual([kept.id]);
    expect((await memory.getConversation('kim', 'lee', { limit: 50 })).items).toHaveLength(2);
  });
});
