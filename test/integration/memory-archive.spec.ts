import { randomUUID } from 'node:crypto';
import { ArchivedMessage, PRIORITIES } from '../../src/context-sync/context-message';
import { MemoryService } from '../../src/memory/memory.service';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';
import { MemoryInstance, startMemory } from './memory-harness';

const BASE_TIME = Date.parse('2026-03-01T10:00:00.000Z');

function message(index: number, overrides: Partial<ArchivedMessage> = {}): ArchivedMessage {
  return {
    id: randomUUID(),
    fromAgent: `agent-${index % 7}`,
    toAgent: index % 10 === 0 ? 'broadcast' : `agent-${(index + 1) % 7}`,
    priority: PRIORITIES[index % PRIORITIES.length],
    type: index % 3 === 0 ? null : `type-${index % 5}`,
    payload: { index, text: `message number ${index}` },
    createdAt: new Date(BASE_TIME + index),
    inReplyTo: null,
    routedBy: null,
    ...overrides,
  };
}

describe('MemoryService: the message archive (integration)', () => {
  let environment: TestEnvironment;
  let instance: MemoryInstance;
  let memory: MemoryService;

  beforeAll(async () => {
    environment = newTestEnvironment('memarchive');
    instance = await startMemory(environment.config);
    memory = instance.memory;
  });

  afterAll(async () => {
    await instance?.close();
    await environment?.dispose();
  });

  it('stores 10,000 messages exactly once although batches are re-sent, overlap and race', async () => {
    const messages = Array.from({ length: 10_000 }, (_, index) => message(index));
    const batchSize = 500;
    const batches: ArchivedMessage[][] = [];
    for (let start = 0; start < messages.length; start += batchSize) {
      // Each batch re-sends the last 100 of the batch before it and repeats one of its own entries.
      const batch = messages.slice(Math.max(0, start - 100), start + batchSize);
      batches.push([...batch, batch[batch.length - 1]]);
    }
    // Two archivers at once (as two replicas would), each also re-sending the other's work.
    const halves = [batches.filter((_, i) => i % 2 === 0), batches.filter((_, i) => i % 2 === 1)];
    const inserted = await Promise.all(
      halves.map(async (half) => {
        let count = 0;
        for (const batch of half) count += await memory.archiveMessages(batch);
        return count;
      }),
    );
    expect(inserted[0] + inserted[1]).toBe(10_000);
    expect(await memory.countArchivedMessages()).toBe(10_000);

    // A full replay (the archiver crashed before XACK) stores nothing new.
    let replayed = 0;
    for (const batch of batches) replayed += await memory.archiveMessages(batch);
    expect(replayed).toBe(0);
    expect(await memory.countArchivedMessages()).toBe(10_000);

    const sample = messages[4321];
    expect(await memory.findArchivedMessage(sample.id)).toEqual({ message: sample, acks: [] });
  });

  it('keeps payloads exactly, NUL and lone surrogates (which jsonb cannot hold) included; a type gets U+FFFD', async () => {
    const exact = message(1, {
      type: 'quotes "and" \\backslashes\\ {braces}, commas',
      payload: { nested: { list: [1, 'two', null, true, { deep: 'é😀' }] }, quote: '"{}\\', empty: {} },
    });
    const unstorable = message(2, {
      type: 'bad\u0000type',
      payload: { nul: 'a\u0000b', lone: 'x\ud83dy', ['key\u0000']: 1, ['key\ud800']: 2, pair: '😀' },
    });
    expect(await memory.archiveMessages([exact, unstorable])).toBe(2);

    expect((await memory.findArchivedMessage(exact.id))?.message).toEqual(exact);
    expect((await memory.findArchivedMessage(unstorable.id))?.message).toEqual({
      ...unstorable,
      type: 'bad\uFFFDtype',
      payload: { nul: 'a\u0000b', lone: 'x\ud83dy', ['key\u0000']: 1, ['key\ud800']: 2, pair: '😀' },
    });
  });

  it('keeps the message a message answers and how its recipient was chosen', async () => {
    const answer = message(21, { inReplyTo: randomUUID(), routedBy: 'capability:{odd} name' });
    expect(await memory.archiveMessages([answer])).toBe(1);
    expect((await memory.findArchivedMessage(answer.id))?.message).toEqual(answer);
  });

  it('archives each recipient ack once, keeping its first time, even before its message arrives', async () => {
    const broadcast = message(10, { toAgent: 'broadcast' });
    const first = new Date(BASE_TIME + 60_000);
    const acks = [
      { messageId: broadcast.id, agentId: 'nova', acknowledgedAt: first },
      { messageId: broadcast.id, agentId: 'dexter', acknowledgedAt: new Date(BASE_TIME + 61_000) },
    ];
    expect(await memory.archiveAcks(acks)).toBe(2);
    expect(await memory.findArchivedMessage(broadcast.id)).toBeNull();

    const again = [{ ...acks[0], acknowledgedAt: new Date(BASE_TIME + 99_000) }, acks[1], acks[1]];
    expect(await memory.archiveAcks(again)).toBe(0);
    expect(await memory.archiveMessages([broadcast])).toBe(1);
    expect(await memory.findArchivedMessage(broadcast.id)).toEqual({ message: broadcast, acks });
    expect(await memory.findArchivedMessage(broadcast.id.toUpperCase())).toEqual({
      message: broadcast,
      acks,
    });
  });

  it('answers null for unknown or malformed ids, and 0 for empty batches', async () => {
    expect(await memory.findArchivedMessage(randomUUID())).toBeNull();
    expect(await memory.findArchivedMessage("x' OR 1=1 --")).toBeNull();
    expect(await memory.archiveMessages([])).toBe(0);
    expect(await memory.archiveAcks([])).toBe(0);
  });
});
