import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError } from '../../src/common/errors';
import { MemoryService } from '../../src/memory/memory.service';
import { newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';
import { TcpProxy } from '../support/tcp-proxy';
import { MemoryInstance, startMemory } from './memory-harness';

describe('MemoryService while Postgres is unreachable (integration)', () => {
  let environment: TestEnvironment;
  let proxy: TcpProxy;
  let instance: MemoryInstance;
  let memory: MemoryService;

  beforeAll(async () => {
    environment = newTestEnvironment('memoutage');
    proxy = await TcpProxy.forUrl(environment.config.database.url);
    const config = {
      ...environment.config,
      database: { ...environment.config.database, url: proxy.rewrite(environment.config.database.url) },
    };
    instance = await startMemory(config);
    memory = instance.memory;
  });

  afterAll(async () => {
    await instance?.close();
    await proxy?.close();
    await environment?.dispose();
  });

  const archived = () => ({
    id: randomUUID(),
    fromAgent: 'nova',
    toAgent: 'dexter',
    priority: 'high' as const,
    type: null,
    payload: { hello: 'world' },
    createdAt: new Date(),
  });

  it('reports an outage as DependencyUnavailableError(postgres), and works again once Postgres is back', async () => {
    const before = archived();
    expect(await memory.archiveMessages([before])).toBe(1);

    await proxy.cut();
    const calls: (() => Promise<unknown>)[] = [
      () => memory.archiveMessages([archived()]),
      () => memory.archiveAcks([{ messageId: before.id, agentId: 'dexter', acknowledgedAt: new Date() }]),
      () => memory.storeMemory('nova', { context: { during: 'outage' } }),
      () => memory.queryMemories('nova', { agentId: 'nova' }, { limit: 10 }),
      () => memory.getHistory('nova', { limit: 10 }),
      () => memory.getInsights(new Date(0), new Date()),
      () => memory.findArchivedMessage(before.id),
      () => instance.agents.findAll(),
    ];
    for (const call of calls) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).toMatchObject({ dependency: 'postgres', status: 503 });
    }

    await proxy.restore();
    const after = archived();
    await waitFor(() => memory.archiveMessages([after]).then((n) => n === 1), 'Postgres to answer again');
    expect(await memory.countArchivedMessages()).toBe(2);
    expect((await memory.queryMemories('nova', { agentId: 'nova' }, { limit: 10 })).items).toEqual([]);
  });
});
