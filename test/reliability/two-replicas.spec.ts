import { randomUUID } from 'node:crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { RetentionJob } from '../../src/context-sync/retention.job';
import { MemoryRetentionJob } from '../../src/memory/memory-retention.job';
import { AppProcess } from '../support/app-process';
import { httpRequest, printFigures } from '../support/load-generator';
import {
  archivedAckCount,
  archivedIds,
  duplicatesIn,
  missingFrom,
  publish,
  registerAgents,
} from '../support/message-ledger';
import { startTestApp } from '../support/test-app';
import { newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

const MESSAGES = 600;
const CONSUMERS = 4;

/**
 * Issue 7, "Two replicas": two app processes on one Redis and one Postgres. Consumers of one agent lease from one
 * replica and acknowledge on the other while messages are published on both: one inbox — every message handed to
 * exactly one consumer, nothing lost, nothing left pending, each archived once. And the hourly jobs, forced on both
 * replicas at once ten times, do their work ten times, not twenty.
 */
describe('reliability: two replicas', () => {
  describe('one inbox across replicas', () => {
    let environment: TestEnvironment;
    const replicas: AppProcess[] = [];

    beforeAll(async () => {
      environment = newTestEnvironment('rreplicas');
      // One after the other: the second start finds the migrations done.
      for (let i = 0; i < 2; i++) replicas.push(await AppProcess.start({ env: environment.env }));
    });

    afterAll(async () => {
      await Promise.all(replicas.map((replica) => replica.kill()));
      await environment?.dispose();
    });

    it('hands every message to exactly one consumer, whichever replica leases or acknowledges it', async () => {
      const [one, two] = replicas.map((replica) => replica.url);
      const token = await registerAgents(one, ['nova', 'dexter']);

      // Published on both replicas, alternately, while the consumers work.
      const ids = Array.from({ length: MESSAGES }, () => randomUUID());
      const publishing = Promise.all(
        [one, two].map(async (url, replica) => {
          for (let seq = replica; seq < MESSAGES; seq += 2) {
            const answer = await publish(url, {
              token: token.nova,
              from: 'nova',
              to: 'dexter',
              id: ids[seq],
              seq,
            });
            if (answer.status !== 201) throw new Error(`publish on replica ${replica + 1}: ${answer.status}`);
          }
        }),
      );

      // Each consumer leases on one replica and acknowledges on the other, until every message was handed out.
      const handed: { consumer: number; id: string }[] = [];
      const distinct = new Set<string>();
      let published = false;
      const deadline = Date.now() + 30000;
      const consume = async (consumer: number) => {
        const [leaseOn, ackOn] = consumer % 2 === 0 ? [one, two] : [two, one];
        while (!(published && distinct.size >= MESSAGES) && Date.now() < deadline) {
          const batch = await httpRequest<{ items: { id: string }[] }>(
            leaseOn,
            'GET',
            `/v1/agents/dexter/messages?consumer=c${consumer}&count=20&wait=200`,
            { token: token.dexter },
          );
          if (batch.status !== 200) throw new Error(`lease answered ${batch.status}`);
          const leased = batch.body!.items.map((m) => m.id);
          for (const id of leased) {
            handed.push({ consumer, id });
            distinct.add(id);
          }
          if (leased.length === 0) continue;
          const acked = await httpRequest<{ acknowledged: number }>(ackOn, 'POST', '/v1/agents/dexter/acks', {
            token: token.dexter,
            body: { ids: leased },
          });
          if (acked.body?.acknowledged !== leased.length)
            throw new Error(`acks: ${JSON.stringify(acked.body)}`);
        }
      };
      const startedAt = Date.now();
      const consuming = Promise.all(Array.from({ length: CONSUMERS }, (_, c) => consume(c)));
      await publishing;
      published = true;
      await consuming;
      const consumedMs = Date.now() - startedAt;

      const handedIds = handed.map((h) => h.id);
      const pendingOn = await Promise.all(
        [one, two].map(
          async (url) =>
            (
              await httpRequest<{ items: unknown[] }>(url, 'GET', '/v1/agents/dexter/messages', {
                token: token.dexter,
              })
            ).body?.items.length,
        ),
      );
      const databaseUrl = environment.config.database.url;
      const archived = await waitFor(async () => {
        const rows = await archivedIds(databaseUrl, 'dexter');
        return rows.length >= MESSAGES && rows;
      }, 'the archive');
      const acks = await waitFor(async () => {
        const n = await archivedAckCount(databaseUrl, 'dexter');
        return n >= MESSAGES && n;
      }, 'the archived acknowledgements');

      printFigures('two replicas, one inbox', {
        sent: MESSAGES,
        handedOut: handed.length,
        byConsumer: Object.fromEntries(
          Array.from({ length: CONSUMERS }, (_, c) => [
            `c${c}`,
            handed.filter((h) => h.consumer === c).length,
          ]),
        ),
        duplicates: duplicatesIn(handedIds).length,
        pendingAfter: pendingOn,
        archived: archived.length,
        duplicatesArchived: duplicatesIn(archived).length,
        archivedAcks: acks,
        consumedMs,
      });

      expect(missingFrom(handedIds, ids)).toEqual([]);
      expect(duplicatesIn(handedIds)).toEqual([]);
      expect(handedIds.length).toBe(MESSAGES);
      // Both replicas agree: nothing is pending any more.
      expect(pendingOn).toEqual([0, 0]);
      expect(missingFrom(archived, ids)).toEqual([]);
      expect(archived.length).toBe(MESSAGES);
      expect(acks).toBe(MESSAGES);
    });
  });

  describe('the hourly jobs across replicas', () => {
    let environment: TestEnvironment;
    const apps: NestFastifyApplication[] = [];
    let database: Client;

    beforeAll(async () => {
      environment = newTestEnvironment('rjobs');
      // In-process replicas, so the test can force the jobs itself (style rule 10: cron handlers call one method).
      for (let i = 0; i < 2; i++) apps.push((await startTestApp(environment.config)).app);
      database = new Client({ connectionString: environment.config.database.url });
      await database.connect();
    });

    afterAll(async () => {
      await database?.end();
      for (const app of apps) await app.close();
      await environment?.dispose();
    });

    const expiredMemories = async () =>
      Number((await database.query('SELECT count(*) AS n FROM memories WHERE expires_at < now()')).rows[0].n);

    it('does the work of each hourly job ten times, not twenty, when both replicas are forced at once ten times', async () => {
      const runs = { streamRetention: 0, memoryRetention: 0 };
      let expiredDeleted = 0;
      const leftAfterRound: number[] = [];
      for (let round = 0; round < 10; round++) {
        // This round's work for the memory job: one memory that expired a minute ago.
        await database.query(
          `INSERT INTO memories (id, agent_id, context, created_at, expires_at)
           VALUES ($1, 'nova', '{}', now() - interval '2 minutes', now() - interval '1 minute')`,
          [randomUUID()],
        );
        const [streams, memories] = await Promise.all([
          Promise.all(apps.map((app) => app.get(RetentionJob).runHourly())),
          Promise.all(apps.map((app) => app.get(MemoryRetentionJob).runHourly())),
        ]);
        runs.streamRetention += streams.filter((result) => result !== undefined).length;
        for (const result of memories) {
          if (result === undefined) continue;
          runs.memoryRetention++;
          expiredDeleted += result.result.memories;
        }
        leftAfterRound.push(await expiredMemories());
      }

      printFigures('two replicas, hourly jobs', {
        rounds: 10,
        replicas: apps.length,
        ...runs,
        expiredDeleted,
      });

      expect(runs).toEqual({ streamRetention: 10, memoryRetention: 10 });
      expect(expiredDeleted).toBe(10);
      expect(leftAfterRound).toEqual(Array(10).fill(0));
    });
  });
});
