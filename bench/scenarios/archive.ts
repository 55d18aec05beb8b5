import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { ArchiverService } from '../../src/context-sync/archiver.service';
import { startContextSync } from '../../test/support/context-sync-harness';
import { benchEnvironment } from '../lib/environment';
import { runTimes } from '../lib/closed-loop';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from '../lib/message';
import {
  archiveLag,
  HTTP_SENDER,
  HTTP_TARGETS,
  countArchived,
  missingInPostgres,
  publishRequests,
  startHttpTarget,
} from '../lib/http-target';
import { openLoop } from '../lib/open-loop';
import { ScenarioOutcome } from '../lib/results';
import { BenchSettings } from '../lib/settings';
import { round, sleep } from '../lib/stats';
import { LossRecord, TARGET_RATE } from './http-publish';

const CATCH_UP_GOAL_S = 5;

/**
 * Scenario 6: a burst of POST /v1/messages at the rate scenario 3 sustained, for BENCH_ARCHIVE_SECONDS, against a
 * fresh app. While it runs, samples the archive lag (GET /v1/stats) and the rows in Postgres once a second; after
 * it, measures how long the lag takes to get back to 0, and checks every id answered 201 is stored.
 */
export async function runArchive(
  settings: BenchSettings,
  rate: number,
): Promise<{ outcome: ScenarioOutcome; loss: LossRecord }> {
  const capacity = await archiveCapacity(settings);
  const env = benchEnvironment('bench-archive');
  const app = await startHttpTarget(env);
  const pg = new Client({ connectionString: env.config.database.url });
  await pg.connect();
  const created: string[] = [];
  try {
    const rowsBefore = await countArchived(pg);
    const samples: { t: number; lag: number; rows: number }[] = [];
    let sampling = true;
    const started = performance.now();
    const sampler = (async () => {
      while (sampling) {
        const [lag, rows] = await Promise.all([archiveLag(app), countArchived(pg)]);
        samples.push({ t: round((performance.now() - started) / 1000, 2), lag, rows: rows - rowsBefore });
        await sleep(1000);
      }
    })();
    const burst = await openLoop({
      ...publishRequests(app),
      rate,
      seconds: settings.archiveSeconds,
      connections: settings.httpConnections,
      created,
    });
    sampling = false;
    await sampler;
    const burstEnded = performance.now();
    let lag = await archiveLag(app);
    while (lag > 0 && performance.now() - burstEnded < 300_000) {
      await sleep(100);
      lag = await archiveLag(app);
    }
    const caughtUpAt = performance.now();
    const catchUpSeconds = (caughtUpAt - burstEnded) / 1000;
    const publishRate = created.length / settings.archiveSeconds;
    const missing = await missingInPostgres(env.config.database.url, created);
    const peakLag = Math.max(0, ...samples.map((s) => s.lag));
    return {
      outcome: {
        id: 6,
        title: 'Archive to Postgres',
        figures: [
          {
            name: `archive capacity: backlog of ${capacity.messages.toLocaleString('en-US')} drained into Postgres`,
            value: round(capacity.rate),
            unit: 'msg/s',
            reference: { name: 'goal publish rate', value: TARGET_RATE, unit: 'msg/s' },
            ratio: round(capacity.rate / TARGET_RATE, 3),
            note: "the archiver's own loop (archiveOnce) on an idle process, batches of BRAIN_ARCHIVE_BATCH",
          },
          {
            name: `catch-up after a ${settings.archiveSeconds} s burst at ${rate.toLocaleString('en-US')} req/s over HTTP: lag back to 0`,
            value: round(catchUpSeconds, 2),
            unit: 's',
            goal: `≤ ${CATCH_UP_GOAL_S} s`,
            met: lag === 0 && catchUpSeconds <= CATCH_UP_GOAL_S,
            note:
              `${lag === 0 ? '' : `still ${lag} behind after 300 s; `}peak lag ${peakLag} entries; ` +
              `${round(publishRate)} msg/s accepted (201), ${burst.errorCount} errors, p99 ${round(burst.p99Ms, 1)} ms`,
          },
          {
            name: 'messages answered 201 and missing from Postgres',
            value: missing,
            unit: '',
            goal: '0',
            met: missing === 0,
          },
        ],
        details: { rate, burst, samples, catchUpSeconds, capacity },
      },
      loss: { label: 'scenario 6', created: created.length, missing, archiveCaughtUp: lag === 0 },
    };
  } finally {
    await pg.end();
    await app.stop();
    await env.dispose();
  }
}

/**
 * How fast the archiver moves a backlog into Postgres: with its loop stopped, N messages are published to the 10
 * targets, then its own archiveOnce() runs until nothing is left; N / that time.
 */
async function archiveCapacity(settings: BenchSettings): Promise<{ messages: number; rate: number }> {
  // Inline: archiveOnce() is this instance's own archiver, and no thread archives beside it.
  const env = benchEnvironment('bench-archive-cap', { BRAIN_ARCHIVER: 'inline' });
  const instance = await startContextSync(env.config);
  try {
    const archiver = instance.module.get(ArchiverService, { strict: false });
    await archiver.onApplicationShutdown(); // stops the background loop; archiveOnce() still works
    for (const id of [HTTP_SENDER, ...HTTP_TARGETS])
      await instance.contextSync.registerAgent(id, 'bench-token-hash');
    const messages = settings.quick ? 5000 : 50_000;
    await runTimes(messages, settings.concurrency, (i) =>
      instance.contextSync.publishMessage({
        sourceAgent: HTTP_SENDER,
        targetAgent: HTTP_TARGETS[i % HTTP_TARGETS.length],
        context: SAMPLE_CONTEXT,
        type: SAMPLE_TYPE,
      }),
    );
    const started = performance.now();
    let stored = 0;
    for (;;) {
      const moved = await archiver.archiveOnce();
      if (moved === 0) break;
      stored += moved;
    }
    const seconds = (performance.now() - started) / 1000;
    if (stored < messages) throw new Error(`archive capacity: only ${stored} of ${messages} stored`);
    return { messages, rate: messages / seconds };
  } finally {
    await instance.close();
    await env.dispose();
  }
}
