/**
 * `npm run bench`: every scenario of issues 6 and 13 in one run on this machine, against the local Redis and Postgres,
 * each scenario in its own Redis prefix and database. Prints the goals of issue 13 (each against its reference
 * measured in the same run) and every figure, and writes bench/results/latest.{json,md}.
 * Durations come from the environment (see bench/lib/settings.ts); BENCH_QUICK=1 is a short smoke run;
 * `npm run bench -- --only ceiling,latency` runs only the named scenarios (`push`: SSE vs long-poll delivery).
 */
import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describeMachine } from './lib/machine';
import { BenchReport, ProfileReport, toConsoleTable, toMarkdown } from './lib/report';
import { ScenarioOutcome } from './lib/results';
import { benchSettings } from './lib/settings';
import { runPublish } from './scenarios/publish';
import { LossRecord, runHttpPublish, TARGET_RATE } from './scenarios/http-publish';
import { runArchive } from './scenarios/archive';
import { runBroadcast } from './scenarios/broadcast';
import { runDeliverAck } from './scenarios/deliver-ack';
import { lossCheck } from './scenarios/loss-check';
import { runMemory } from './scenarios/memory';
import { runProfiles } from './scenarios/profiles';
import { waitForQuietMachine } from './lib/machine-load';
import { buildApp } from './lib/app-process';
import { runCeiling } from './scenarios/ceiling';
import { runLatency } from './scenarios/latency';
import { runPush } from './scenarios/push';
import { goalRows } from './lib/goals';
import { SATURATION_GENERATOR } from './lib/wrk';

/** Scenario names for `npm run bench -- --only <name>[,<name>…]` (BENCH_ONLY takes the numbers). */
const SCENARIOS: Record<string, number[]> = {
  publish: [1, 2],
  'http-publish': [3],
  'deliver-ack': [4],
  broadcast: [5],
  archive: [6],
  memory: [7],
  'loss-check': [8],
  profiles: [9],
  ceiling: [10],
  latency: [11],
  push: [12],
};

/** A mistake in the command line: said in one line, without a stack. */
class UsageError extends Error {}

function onlyFromArguments(argv: string[]): Set<number> | undefined {
  const at = argv.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (at < 0) return undefined;
  const value = argv[at].includes('=') ? argv[at].split('=')[1] : argv[at + 1];
  const ids = new Set<number>();
  for (const name of (value ?? '').split(',').filter(Boolean)) {
    const known = SCENARIOS[name] ?? (/^\d+$/.test(name) ? [Number(name)] : undefined);
    if (!known)
      throw new UsageError(
        `--only: unknown scenario '${name}' (one of ${Object.keys(SCENARIOS).join(', ')})`,
      );
    known.forEach((id) => ids.add(id));
  }
  if (ids.size === 0) throw new UsageError('--only needs a scenario name');
  return ids;
}

const RESULTS = join(__dirname, 'results');
const README_BEGIN = '<!-- bench:latest:begin (written by npm run bench) -->';
const README_END = '<!-- bench:latest:end -->';

async function main(): Promise<void> {
  process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/brain';
  const settings = benchSettings();
  settings.only = onlyFromArguments(process.argv.slice(2)) ?? settings.only;
  const started = performance.now();
  const machine = await describeMachine(process.env.REDIS_URL, process.env.DATABASE_URL);
  const scenarios: ScenarioOutcome[] = [];
  const profiles: ProfileReport[] = [];
  const wanted = (...ids: number[]) => !settings.only || ids.some((id) => settings.only!.has(id));
  const quietWaitMs = Number(process.env.BENCH_QUIET_WAIT_SECONDS ?? (settings.quick ? 5 : 60)) * 1000;
  const step = async (label: string, run: () => Promise<ScenarioOutcome[]>) => {
    // Other work on the machine skews the figures: wait a little for quiet, and record how busy it was.
    const quiet = await waitForQuietMachine(quietWaitMs);
    const t0 = performance.now();
    process.stdout.write(`- ${label} (machine ${quiet.busyPercent} % busy before) ... `);
    try {
      const outcomes = await run();
      const seconds = (performance.now() - t0) / 1000;
      for (const outcome of outcomes) {
        outcome.seconds = Math.round(seconds);
        outcome.details = { machineBusyBeforePercent: quiet.busyPercent, ...(outcome.details as object) };
      }
      scenarios.push(...outcomes);
      process.stdout.write(`${seconds.toFixed(0)} s\n`);
    } catch (error) {
      // One failing scenario is reported as such; the others still run.
      const message = (error as Error).message;
      process.stdout.write(`failed: ${message}\n`);
      const id = Number(/^\d+/.exec(label)?.[0] ?? 0);
      scenarios.push({ id, title: label, figures: [], notRun: `failed: ${message}` });
    }
  };

  const losses: LossRecord[] = [];
  let sustainedRate = 0;
  if (wanted(1, 2)) await step('1+2 publish: raw XADD vs facade', () => runPublish(settings));
  if (wanted(4)) await step('4 deliver + ack vs BullMQ', () => runDeliverAck(settings));
  if (wanted(5)) await step('5 broadcast fan-out', () => runBroadcast(settings));
  if (wanted(7)) await step('7 Redis memory per message', () => runMemory(settings));
  if (wanted(3, 6, 8, 9, 10, 11, 12)) {
    process.stdout.write('- building the app into .tmp/bench-dist ...\n');
    buildApp();
    if (wanted(10) && SATURATION_GENERATOR !== 'wrk')
      process.stdout.write(`- note: the saturation runs use ${SATURATION_GENERATOR}\n`);
    if (wanted(10))
      await step('10 HTTP publish: Brain vs the ceiling server, half-ceiling open loop', async () => {
        const ceiling = await runCeiling(settings);
        losses.push(ceiling.loss);
        return [ceiling.outcome];
      });
    if (wanted(11))
      await step(`11 latency at light load (${settings.latencyRate} req/s, open loop)`, async () => [
        await runLatency(settings),
      ]);
    if (wanted(12))
      await step(
        `12 push: SSE vs long poll at ${settings.pushRate} msg/s, ${settings.pushStreams} streams held`,
        async () => [await runPush(settings)],
      );
    if (wanted(3, 8))
      await step('3 HTTP publish, open loop', async () => {
        const http = await runHttpPublish(settings);
        losses.push(http.loss);
        sustainedRate = http.sustainedRate;
        return [http.outcome];
      });
    if (wanted(6, 8)) {
      // The burst runs at the rate scenario 3 sustained (its goal rate when it sustained none, so the figure shows it).
      const rate = sustainedRate || Number(process.env.BENCH_ARCHIVE_RATE ?? TARGET_RATE);
      await step(`6 archive: ${settings.archiveSeconds} s burst at ${rate} req/s`, async () => {
        const archive = await runArchive(settings, rate);
        losses.push(archive.loss);
        return [archive.outcome];
      });
    }
    if (wanted(8)) scenarios.push(lossCheck(losses));
  }
  if (settings.profile && wanted(9)) {
    process.stdout.write('- profiles (in-process publish, HTTP app) ...\n');
    profiles.push(...(await runProfiles(settings, sustainedRate || 1000)));
  }

  scenarios.sort((a, b) => a.id - b.id);
  const report: BenchReport = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine,
    settings: {
      concurrency: settings.concurrency,
      seconds: settings.seconds,
      repeats: settings.repeats,
      httpRates: settings.httpRates,
      httpSeconds: settings.httpSeconds,
      httpRepeats: settings.httpRepeats,
      deliverMessages: settings.deliverMessages,
      archiveSeconds: settings.archiveSeconds,
      ceilingSeconds: settings.ceilingSeconds,
      ceilingConnections: settings.ceilingConnections,
      halfCeilingSeconds: settings.halfCeilingSeconds,
      latencySeconds: settings.latencySeconds,
      latencyRate: settings.latencyRate,
      pushSeconds: settings.pushSeconds,
      pushRate: settings.pushRate,
      pushStreams: settings.pushStreams,
      httpSenders: settings.httpSenders,
      quick: settings.quick,
    },
    totalSeconds: (performance.now() - started) / 1000,
    scenarios,
    goals: goalRows(scenarios),
    profiles,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'latest.md'), toMarkdown(report));
  console.log(`\n${toConsoleTable(report)}\n\nWrote bench/results/latest.json and bench/results/latest.md`);
  // A full run refreshes the table in the README's Performance section (between its markers); partial runs do not.
  if (!settings.quick && !settings.only && process.env.BENCH_README !== '0') updateReadme(toMarkdown(report));
}

function updateReadme(markdown: string): void {
  const path = join(__dirname, '..', 'README.md');
  const readme = readFileSync(path, 'utf8');
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) return;
  writeFileSync(path, `${readme.slice(0, begin + README_BEGIN.length)}\n${markdown}${readme.slice(end)}`);
  console.log('Updated the table in README.md (section Performance)');
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error instanceof UsageError ? error.message : (error.stack ?? error.message));
    process.exit(1);
  },
);
