import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { AppProcess } from '../support/app-process';
import { httpRequest, printFigures, summarize } from '../support/load-generator';
import {
  archivedAckCount,
  ledgerOf,
  NO_PROBLEMS,
  registerAgents,
  startPublishLoad,
  verifyDelivery,
} from '../support/message-ledger';
import { TcpProxy } from '../support/tcp-proxy';
import {
  ADMIN_TOKEN,
  newTestEnvironment,
  rawRedis,
  TestEnvironment,
  waitFor,
} from '../support/test-environment';

/**
 * Issue 7, "App killed": SIGKILL the app while publishes run, start it again with the same settings. Every message
 * that got a 201 is pending for its recipient (or acknowledged) and reaches Postgres, none twice; a publish that got
 * no answer can be retried with its id and then exists exactly once. The kill lands while the archiver holds entries
 * it read and has not stored yet (Postgres is made slow through a proxy for that): the restarted process takes them
 * over (after 10 s idle) and stores them.
 */
describe('reliability: app killed under a publish load', () => {
  let environment: TestEnvironment;
  let postgres: TcpProxy;
  let app: AppProcess;

  beforeAll(async () => {
    environment = newTestEnvironment('rkilled');
    postgres = await TcpProxy.forUrl(environment.env.DATABASE_URL);
    app = await AppProcess.start({
      env: { ...environment.env, DATABASE_URL: postgres.rewrite(environment.env.DATABASE_URL) },
    });
    await registerAgents(app.url, ['nova', 'dexter']);
  });

  afterAll(async () => {
    await app?.kill();
    await postgres?.close();
    await environment?.dispose();
  });

  /** Entries of dexter's streams that the archive group has read and not acknowledged (i.e. not stored yet). */
  async function heldByArchiver(): Promise<number> {
    const redis = rawRedis(environment.config);
    try {
      const streams = new RedisKeys(environment.config.redis.prefix).agentMailbox('dexter').streams;
      const summaries = await Promise.all(streams.map((stream) => redis.xpending(stream, 'archive')));
      return summaries.reduce((total: number, summary) => total + Number((summary as [number])[0]), 0);
    } finally {
      redis.disconnect();
    }
  }

  it('loses no message that got a 201 and stores each once, after a SIGKILL and a restart', async () => {
    const sender = { from: 'nova', to: 'dexter' };
    const publishes = startPublishLoad({ url: app.url, ...sender, concurrency: 6, pauseMs: 10 });
    await publishes.load.completed(600);

    // Each archive insert now takes a few hundred ms: kill while the archiver holds what it read.
    postgres.setLatency(150);
    await waitFor(
      async () => (await heldByArchiver()) > 0 && publishes.load.inFlight() >= 2,
      'the archiver to hold entries while publishes are in flight',
      10000,
      5,
    );
    const inFlightAtKill = publishes.load.inFlight();
    const firstPid = app.pid;
    const killedAt = Date.now();
    await app.kill();
    const heldAtKill = await heldByArchiver();
    postgres.setLatency(0);
    await app.start();
    // The load keeps going through the restart; once 300 publishes were accepted by the new process, stop.
    const accepted = (after: number) =>
      publishes.load.results.filter((r) => r.status === 201 && r.startedAt > after).length;
    const restartedAt = Date.now();
    await waitFor(() => accepted(restartedAt) >= 300, '300 publishes accepted after the restart', 30000);
    const results = await publishes.load.stop();
    const firstAfterKill = results.find((r) => r.status === 201 && r.startedAt > killedAt);
    const ledger = ledgerOf(results, publishes);

    // Before anything is read or retried: the stats count every 201 (and what got no answer may add to them).
    const stats = await httpRequest<{ totalMessages: number }>(app.url, 'GET', '/v1/stats', {
      token: ADMIN_TOKEN,
    });
    // What got no 201 is retried with the same id, as a careful client would: stored once, whatever happened before.
    const report = await verifyDelivery(app.url, environment.config.database.url, ledger, sender);
    // The dead process's archive reads are taken over (after 10 s idle) and acknowledged: nothing stays unarchived,
    // and nothing blocks trimming.
    const takenOver = await waitFor(
      async () => (await heldByArchiver()) === 0 && Date.now(),
      "the dead archiver's reads to be taken over",
      60000,
      500,
    );
    const acks = await waitFor(async () => {
      const n = await archivedAckCount(environment.config.database.url, 'dexter');
      return n >= report.figures.foundPending && n;
    }, 'the acknowledgements to reach the archive');

    printFigures('app killed', {
      ...summarize(results),
      inFlightAtKill,
      heldByArchiverAtKill: heldAtKill,
      heldTakenOverAfterMs: takenOver - killedAt,
      ...report.figures,
      archivedAcks: acks,
      recoveryMs: firstAfterKill && firstAfterKill.endedAt - killedAt,
    });

    expect(app.pid).not.toBe(firstPid);
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(heldAtKill).toBeGreaterThan(0);
    expect(ledger.accepted.length).toBeGreaterThan(600);
    // Every 201 and every retried id is pending for the recipient and archived, each once; retries answer 201 (it
    // had not been stored) or 200 (it had, and the retry created nothing).
    expect(report.problems).toEqual(NO_PROBLEMS);
    expect(stats.body!.totalMessages).toBeGreaterThanOrEqual(ledger.accepted.length);
    expect(stats.body!.totalMessages).toBeLessThanOrEqual(ledger.sent);
    expect(acks).toBe(report.figures.foundPending);
  });
});
