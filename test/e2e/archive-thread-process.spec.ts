import { Client } from 'pg';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { AppProcess } from '../support/app-process';
import { httpRequest } from '../support/load-generator';
import { sample } from '../support/prometheus-text';
import { TcpProxy } from '../support/tcp-proxy';
import {
  ADMIN_TOKEN,
  newTestEnvironment,
  rawRedis,
  TestEnvironment,
  waitFor,
} from '../support/test-environment';

/**
 * The archive thread in the default configuration (BRAIN_ARCHIVER unset), as a real process: ts-node, or the build
 * with BRAIN_TEST_APP_ENTRY=dist/src/main.js. It archives, reports to /metrics, logs through the app's logger, and
 * on SIGTERM stores the batch it holds before the process exits 0.
 */
describe('the archive thread in a process (e2e)', () => {
  jest.setTimeout(180000);
  let environment: TestEnvironment;
  let postgres: TcpProxy;
  let app: AppProcess;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    environment = newTestEnvironment('archproc');
    expect(environment.env.BRAIN_ARCHIVER).toBeUndefined();
    // Postgres behind a proxy, so inserts can be made slow: then SIGTERM lands while the thread holds a batch.
    postgres = await TcpProxy.forUrl(environment.env.DATABASE_URL);
    app = await AppProcess.start({
      env: { ...environment.env, DATABASE_URL: postgres.rewrite(environment.env.DATABASE_URL) },
      startTimeoutMs: 90000,
    });
    for (const id of ['nova', 'dexter']) {
      const answer = await httpRequest<{ token: string }>(app.url, 'POST', '/v1/agents', {
        token: ADMIN_TOKEN,
        body: { id },
      });
      expect(answer.status).toBe(201);
      tokens[id] = answer.body!.token;
    }
  });

  afterAll(async () => {
    await app?.kill();
    await postgres?.close();
    await environment?.dispose();
  });

  const publish = async (count: number, concurrency = 8): Promise<void> => {
    let next = 0;
    const sender = async () => {
      while (next < count) {
        next += 1;
        const answer = await httpRequest(app.url, 'POST', '/v1/messages', {
          token: tokens.nova,
          body: { targetAgent: 'dexter', context: { n: next } },
        });
        expect(answer.status).toBe(201);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, sender));
  };
  const archiveLag = async () =>
    (await httpRequest<{ archiveLag: number }>(app.url, 'GET', '/v1/stats', { token: ADMIN_TOKEN })).body!
      .archiveLag;
  const archivedRows = async (): Promise<number> => {
    const pg = new Client({ connectionString: environment.config.database.url });
    await pg.connect();
    try {
      return Number((await pg.query('SELECT count(*) AS n FROM messages')).rows[0].n);
    } finally {
      await pg.end();
    }
  };
  /** Entries of dexter's streams the archive group has read and not acknowledged (i.e. not stored yet). */
  const heldByArchiver = async (): Promise<number> => {
    const redis = rawRedis(environment.config);
    try {
      const streams = new RedisKeys(environment.config.redis.prefix).agentMailbox('dexter').streams;
      const summaries = await Promise.all(streams.map((stream) => redis.xpending(stream, 'archive')));
      return summaries.reduce((total: number, summary) => total + Number((summary as [number])[0]), 0);
    } finally {
      redis.disconnect();
    }
  };
  const logLines = () =>
    app.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; pid: number; context?: string; msg: string });

  it('archives in its own thread, logged as JSON by the app: rows, lag 0, the metrics of this process', async () => {
    // Under ts-node the thread compiles the sources again: it may start a few seconds after the server.
    const started = await waitFor(
      () => logLines().find((line) => /^Archiving in its own thread/.test(line.msg)),
      'the archive thread to start',
      60000,
      100,
    );
    expect(started).toMatchObject({ context: 'ArchiveThread', pid: app.pid, level: 30 });
    await publish(200);
    await waitFor(async () => (await archivedRows()) === 200, '200 rows in Postgres', 30000, 100);
    await waitFor(async () => (await archiveLag()) === 0, 'the archive lag to return to 0');
    // brain_archive_lag is measured every 5 s, by the thread.
    const body = await waitFor(
      async () => {
        const text = await (await fetch(`${app.url}/metrics`)).text();
        return sample(text, 'brain_archive_lag') === 0 && text;
      },
      'the thread to report a lag of 0',
      20000,
      250,
    );
    expect(sample(body, 'brain_archive_entries_total')).toBe(200);
    expect(sample(body, 'brain_archive_failures_total')).toBe(0);
  });

  it("writes the thread's log lines as the app's own: a Postgres outage is logged by the Archiver, then healed", async () => {
    await postgres.cut('refuse');
    await publish(5);
    const warning = await waitFor(
      () => logLines().find((line) => /^Archive attempt failed/.test(line.msg)),
      "the archiver's warning",
      20000,
      100,
    );
    expect(warning).toMatchObject({ context: 'Archiver', pid: app.pid, level: 40 });
    await postgres.restore();
    await waitFor(async () => (await archivedRows()) === 205, '205 rows in Postgres', 30000, 100);
    await waitFor(
      () => logLines().some((line) => /^Archive is working again/.test(line.msg)),
      'the archiver to say it works again',
    );
  });

  it('on SIGTERM stores the batch it holds, acknowledges it, and the process exits 0; nothing is lost', async () => {
    await publish(600, 16);
    // Each insert now takes a few round trips of 300 ms: SIGTERM while the thread holds what it read.
    postgres.setLatency(300);
    await waitFor(async () => (await heldByArchiver()) > 0, 'the archive thread to hold entries', 20000, 5);
    const exit = await app.stop(30000);
    postgres.setLatency(0);
    expect(exit).toMatchObject({ code: 0, signal: null });
    // The batch it held was stored and acknowledged before the thread ended: no read is left for a takeover.
    expect(await heldByArchiver()).toBe(0);
    expect(logLines().map((line) => line.msg)).toContain('Archive thread stopped after its current batch');
    // What was not read yet waits in Redis; the next start archives it, each message once.
    await app.start();
    await waitFor(async () => (await archivedRows()) === 805, 'all 805 messages in Postgres', 60000, 200);
    await waitFor(async () => (await archiveLag()) === 0, 'the archive lag to return to 0');
  });
});
