import { execFileSync } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { ArchiveThread } from '../../src/context-sync/archive-thread';
import { sample } from '../support/prometheus-text';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

/**
 * BRAIN_ARCHIVER=thread (the default) in an app built in this process: the archive thread is started from the
 * TypeScript sources (ts-node in the thread), archives off the request loop, reports to /metrics and readiness, and
 * is started again when it dies. test/e2e/archive-thread-process.spec.ts runs it from a real process (and dist).
 */
const READERS = Array.from({ length: 12 }, (_, i) => `reader${i}`);

describe('the archive thread (e2e)', () => {
  jest.setTimeout(120000);
  let brain: TestBrain;
  let client: BrainClient;
  let token: Record<string, string>;
  const scrape = async () => (await fetch(`${client.url}/metrics`)).text();
  const publish = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await client.post('/v1/messages', token.nova, {
        targetAgent: 'dexter',
        context: { i },
      });
      expect(response.status).toBe(201);
      ids.push(response.body.id as string);
    }
    return ids;
  };
  const thread = (): Worker | undefined => Reflect.get(brain.app.get(ArchiveThread), 'worker');
  /** Rows in the archive, counted by psql: a synchronous call, so it works while this thread's loop is blocked. */
  const archivedRowsBlocking = () =>
    Number(
      execFileSync('psql', [brain.environment.config.database.url, '-tAc', 'SELECT count(*) FROM messages'], {
        encoding: 'utf8',
      }).trim(),
    );

  beforeAll(async () => {
    brain = await startBrain('archthread', {
      agents: ['nova', 'dexter', ...READERS],
      env: { BRAIN_ARCHIVER: 'thread' },
    });
    ({ client, token } = brain);
    await waitFor(() => thread()?.threadId !== undefined, 'the archive thread to start');
  });

  afterAll(() => brain?.close());

  it('stores every message in Postgres while the request loop is blocked, and the lag returns to 0', async () => {
    const ids = await publish(40);
    // Not one turn of this thread's event loop until the rows are there (or 30 s passed): only another thread
    // can be storing them.
    const deadline = Date.now() + 30000;
    let rows = archivedRowsBlocking();
    while (rows < ids.length && Date.now() < deadline) rows = archivedRowsBlocking();
    expect(rows).toBe(ids.length);
    await waitFor(
      async () => (await client.get('/v1/stats', ADMIN_TOKEN)).body.archiveLag === 0,
      'the archive lag to return to 0',
    );
  });

  it("reports the thread's progress on this process' /metrics and readiness", async () => {
    await publish(10);
    // The lag is measured every 5 s.
    await waitFor(
      async () => {
        const body = await scrape();
        return sample(body, 'brain_archive_entries_total')! >= 50 && sample(body, 'brain_archive_lag') === 0;
      },
      'the thread to report 50 entries stored and a lag of 0',
      20000,
    );
    const ready = await client.get('/health/ready');
    expect(ready.body.info.archive).toEqual({ status: 'up', archiveLag: 0 });
  });

  it('is started again when it dies, and archives what came meanwhile', async () => {
    const failuresBefore = sample(await scrape(), 'brain_archive_failures_total') ?? 0;
    const dead = thread()!;
    await dead.terminate();
    await publish(5);
    await waitFor(
      () => (thread()?.threadId ?? dead.threadId) !== dead.threadId,
      'a new archive thread',
      20000,
    );
    await waitFor(
      async () => (await client.get('/v1/stats', ADMIN_TOKEN)).body.archiveLag === 0,
      'the new thread to archive the backlog',
      20000,
    );
    expect(archivedRowsBlocking()).toBe(55);
    expect(sample(await scrape(), 'brain_archive_failures_total')).toBe(failuresBefore + 1);
  });

  it('inserts on a small pool of its own, named brain-archive in Postgres', async () => {
    const connections = () =>
      execFileSync(
        'psql',
        [
          brain.environment.config.database.url,
          '-tAc',
          'SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1',
        ],
        { encoding: 'utf8' },
      );
    // Twelve mailboxes with a backlog each: the archiver inserts them concurrently.
    for (let round = 0; round < 5; round++)
      await Promise.all(
        READERS.map((reader) =>
          client.post('/v1/messages', token.nova, { targetAgent: reader, context: { round } }),
        ),
      );
    await waitFor(
      async () => (await client.get('/v1/stats', ADMIN_TOKEN)).body.archiveLag === 0,
      'the archive lag to return to 0',
    );
    const byName = Object.fromEntries(
      connections()
        .trim()
        .split('\n')
        .map((line) => line.split('|'))
        .map(([name, count]) => [name, Number(count)]),
    );
    expect(byName['brain-archive']).toBeGreaterThanOrEqual(1);
    expect(byName['brain-archive']).toBeLessThanOrEqual(4);
  });
});
