import { randomUUID } from 'node:crypto';
import { ArchivedMessage } from '../../src/context-sync/context-message';
import { MemoryRecord } from '../../src/memory/memory-record';
import { MemoryService } from '../../src/memory/memory.service';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';
import { MemoryInstance, runSql, startMemory } from './memory-harness';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('MemoryService: history, conversations, insights and retention (integration)', () => {
  let environment: TestEnvironment;
  let instance: MemoryInstance;
  let memory: MemoryService;
  /** T: the fixture's time origin, half an hour ago (memories are stored "now", at about T + 30 min). */
  const T = Date.now() - 30 * MINUTE;
  const at = (minutes: number) => new Date(T + minutes * MINUTE);
  const m: Record<string, ArchivedMessage> = {};
  const mem: Record<string, MemoryRecord> = {};

  function message(key: string, minutes: number, from: string, to: string, type: string | null) {
    m[key] = {
      id: randomUUID(),
      fromAgent: from,
      toAgent: to,
      priority: 'medium',
      type,
      payload: { key },
      createdAt: at(minutes),
    };
  }

  /** Pages through a list with `limit`, returning the message keys / memory names in the order listed. */
  async function walk(
    list: (cursor?: string) => Promise<{ items: MemoryRecord[]; nextCursor: string | null }>,
  ) {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(cursor);
      for (const item of page.items)
        names.push(
          item.kind === 'message'
            ? (item.context as { key: string }).key
            : Object.keys(mem).find((name) => mem[name].id === item.id)!,
        );
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return names;
  }

  beforeAll(async () => {
    environment = newTestEnvironment('memhistory');
    instance = await startMemory(environment.config);
    memory = instance.memory;
    for (const id of ['nova', 'dexter'])
      await instance.agents.insert({ id, tokenHash: 'h', createdAt: at(-60) });
    await instance.agents.insert({ id: 'zed', tokenHash: 'h', createdAt: at(10) });

    message('m1', -120, 'nova', 'dexter', 'ping'); // before the insights window
    message('m2', 1, 'nova', 'dexter', 'sales_data');
    message('m3', 2, 'dexter', 'nova', 'ping');
    message('m4', 3, 'nova', 'dexter', 'sales_data');
    message('m5', 4, 'dexter', 'broadcast', 'alert'); // before zed joined
    message('m6', 5, 'nova', 'zed', null);
    message('m7', 6, 'dexter', 'nova', 'ping');
    message('m8', 12, 'nova', 'broadcast', null); // after zed joined
    message('m9', 13, 'nova', 'dexter', 'ping');
    message('m10', 14, 'zed', 'dexter', 'sales_data');
    message('m11', 40, 'dexter', 'nova', 'ping'); // after the insights window (and after the memories)
    expect(await memory.archiveMessages(Object.values(m))).toBe(11);

    mem.novaShared = await memory.storeMemory('nova', {
      type: 'sales_data',
      tags: ['q3', 'emea'],
      context: { a: 1 },
    });
    mem.novaPrivate = await memory.storeMemory('nova', {
      type: 'secret',
      tags: ['q3', 'hidden'],
      visibility: 'private',
      context: { b: 2 },
    });
    mem.dexterNote = await memory.storeMemory('dexter', { type: 'note', tags: ['q3'], context: { c: 3 } });
    // Expired a moment ago: in no list and no count, and the retention job deletes it.
    await runSql(
      environment.config,
      `INSERT INTO memories (id, agent_id, type, context, tags, created_at, expires_at)
       VALUES ($1, 'nova', 'sales_data', '{}', '{q3}', $2, $2)`,
      [randomUUID(), new Date(Date.now() - 1000)],
    );
  });

  afterAll(async () => {
    await instance?.close();
    await environment?.dispose();
  });

  it('lists a conversation both ways, newest first, direct messages only, across pages', async () => {
    const expected = ['m11', 'm9', 'm7', 'm4', 'm3', 'm2', 'm1'];
    expect(await walk((cursor) => memory.getConversation('nova', 'dexter', { limit: 3, cursor }))).toEqual(
      expected,
    );
    expect(await walk((cursor) => memory.getConversation('dexter', 'nova', { limit: 1, cursor }))).toEqual(
      expected,
    );
    expect(await walk((cursor) => memory.getConversation('zed', 'nova', { limit: 50, cursor }))).toEqual([
      'm6',
    ]);
    expect(await walk((cursor) => memory.getConversation('nova', 'nova', { limit: 50, cursor }))).toEqual([]);

    const [first] = (await memory.getConversation('nova', 'dexter', { limit: 1 })).items;
    expect(first).toEqual({
      id: m.m11.id,
      agentId: 'dexter',
      kind: 'message',
      type: 'ping',
      context: { key: 'm11' },
      tags: [],
      visibility: 'shared',
      createdAt: at(40).toISOString(),
      expiresAt: null,
      fromAgent: 'dexter',
      toAgent: 'nova',
      messageId: m.m11.id,
      inReplyTo: null,
    });
  });

  it('lists an agent history: its memories, what it sent and received, broadcasts since it joined', async () => {
    const novaMemories = [mem.novaShared, mem.novaPrivate]
      .sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1,
      )
      .map((record) => (record === mem.novaShared ? 'novaShared' : 'novaPrivate'));
    const nova = ['m11', ...novaMemories, 'm9', 'm8', 'm7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1'];
    expect(await walk((cursor) => memory.getHistory('nova', { limit: 5, cursor }))).toEqual(nova);
    expect(await walk((cursor) => memory.getHistory('nova', { limit: 1000, cursor }))).toEqual(nova);
    // zed joined after m5: it never received that broadcast. m6 was addressed to it directly.
    expect(await walk((cursor) => memory.getHistory('zed', { limit: 2, cursor }))).toEqual([
      'm10',
      'm8',
      'm6',
    ]);
    expect(await walk((cursor) => memory.getHistory('dexter', { limit: 4, cursor }))).toEqual([
      'm11',
      'dexterNote',
      'm10',
      'm9',
      'm8',
      'm7',
      'm5',
      'm4',
      'm3',
      'm2',
      'm1',
    ]);
  });

  it('keeps the history of an agent no longer registered, without broadcasts', async () => {
    expect(await instance.agents.delete('zed')).toBe(true);
    expect(await walk((cursor) => memory.getHistory('zed', { limit: 10, cursor }))).toEqual(['m10', 'm6']);
    await instance.agents.insert({ id: 'zed', tokenHash: 'h', createdAt: at(10) });
  });

  it('computes insights that match the hand count', async () => {
    const insights = await memory.getInsights(at(0), at(35));
    expect(insights).toEqual({
      since: at(0).toISOString(),
      until: at(35).toISOString(),
      agents: [
        { agentId: 'dexter', sent: 3, received: 4, memories: 1 },
        { agentId: 'nova', sent: 5, received: 2, memories: 2 },
        { agentId: 'zed', sent: 1, received: 1, memories: 0 },
      ],
      pairs: [
        { from: 'nova', to: 'dexter', count: 3, lastAt: at(13).toISOString() },
        { from: 'dexter', to: 'nova', count: 2, lastAt: at(6).toISOString() },
        { from: 'zed', to: 'dexter', count: 1, lastAt: at(14).toISOString() },
        { from: 'nova', to: 'broadcast', count: 1, lastAt: at(12).toISOString() },
        { from: 'nova', to: 'zed', count: 1, lastAt: at(5).toISOString() },
        { from: 'dexter', to: 'broadcast', count: 1, lastAt: at(4).toISOString() },
      ],
      topTypes: [
        { type: 'sales_data', count: 4 },
        { type: 'ping', count: 3 },
        { type: 'alert', count: 1 },
        { type: 'note', count: 1 },
      ],
      topTags: [
        { tag: 'q3', count: 2 },
        { tag: 'emea', count: 1 },
      ],
    });
    // Boundaries: since inclusive, until exclusive.
    const edge = await memory.getInsights(at(1), at(2));
    expect(edge.pairs).toEqual([{ from: 'nova', to: 'dexter', count: 1, lastAt: at(1).toISOString() }]);
    await expect(memory.getInsights(at(2), at(1))).rejects.toThrow('since must be before until');
  });

  it('deletes expired memories and history older than BRAIN_HISTORY_DAYS, in batches', async () => {
    const lasting = await memory.storeMemory('nova', { tags: ['ttl'], context: {}, ttlSeconds: 3600 });
    const days = environment.config.memory.historyDays;
    const old = Array.from({ length: 12_000 }, (_, index) => ({
      ...m.m2,
      id: randomUUID(),
      payload: { index },
      createdAt: new Date(Date.now() - (days + 1) * DAY + index),
    }));
    for (let start = 0; start < old.length; start += 2000)
      await memory.archiveMessages(old.slice(start, start + 2000));
    await memory.archiveAcks(
      old
        .slice(0, 10)
        .map((message) => ({ messageId: message.id, agentId: 'dexter', acknowledgedAt: new Date() })),
    );
    const orphan = {
      messageId: randomUUID(),
      agentId: 'dexter',
      acknowledgedAt: new Date(Date.now() - (days + 1) * DAY),
    };
    const recentAck = { messageId: m.m2.id, agentId: 'dexter', acknowledgedAt: at(2) };
    await memory.archiveAcks([orphan, recentAck]);
    expect(await memory.countArchivedMessages()).toBe(12_011);

    // Now: only the memory expired a moment ago, and the 12,000 old messages (with their 10 acks and the orphan).
    expect(await memory.deleteExpired()).toEqual({ memories: 1, messages: 12_000 });
    expect(await memory.countArchivedMessages()).toBe(11);
    const acks = await runSql<{ message_id: string }>(
      environment.config,
      'SELECT message_id FROM message_acks',
    );
    expect(acks.map((row) => row.message_id)).toEqual([m.m2.id]);
    expect(await memory.deleteExpired()).toEqual({ memories: 0, messages: 0 });

    // Two hours on, the one-hour memory has expired too, and is gone from queries before and after the job.
    const later = new Date(Date.now() + 2 * 3600_000);
    expect(
      (await memory.queryMemories('nova', { agentId: 'nova' }, { tags: ['ttl'], limit: 5 })).items,
    ).toEqual([lasting]);
    expect(await memory.deleteExpired(later)).toEqual({ memories: 1, messages: 0 });
    expect(
      (await memory.queryMemories('nova', { agentId: 'nova' }, { tags: ['ttl'], limit: 5 })).items,
    ).toEqual([]);
    expect((await memory.findArchivedMessage(m.m2.id))?.acks).toEqual([{ ...recentAck }]);
  });

  // The agents themselves are the registry's to clear (BrainAI.clearAll; e2e operations.spec proves all of it).
  it('clears every message, ack and memory, and leaves the agent registry alone', async () => {
    expect((await memory.queryMemories('nova', { admin: true }, { limit: 10 })).items).toHaveLength(2);
    const agents = await instance.agents.findAll();
    await memory.clear();
    expect(await memory.countArchivedMessages()).toBe(0);
    expect(await instance.agents.findAll()).toEqual(agents);
    expect((await memory.queryMemories('nova', { admin: true }, { limit: 10 })).items).toEqual([]);
    expect((await memory.getHistory('nova', { limit: 10 })).items).toEqual([]);
    expect(await runSql(environment.config, 'SELECT 1 FROM message_acks')).toEqual([]);
  });
});
