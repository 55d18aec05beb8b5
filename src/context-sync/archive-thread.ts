import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RestartBackoff } from '../common/restart-backoff';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { ArchiveMetrics } from './archive.metrics';
import type { ArchiveThreadCommand, ArchiveThreadMessage } from './archive-thread.module';

/**
 * The thread's composition root, src/archive-thread.ts (or .js in dist): a file path, not an import, so this module
 * does not depend on the root. Under ts-node or Jest (a .ts file) the thread registers ts-node itself, unless the
 * process' own `-r ts-node/register` (inherited through execArgv) already did.
 */
const ENTRY = join(__dirname, '..', `archive-thread${extname(__filename)}`);
const BOOTSTRAP = `
const entry = ${JSON.stringify(ENTRY)};
if (entry.endsWith('.ts') && !process[Symbol.for('ts-node.register.instance')])
  require('ts-node').register({ transpileOnly: true });
require(entry);
`;

/** On shutdown the thread finishes its batch (an insert is cut at 15 s by statement_timeout); then it is ended. */
const STOP_TIMEOUT_MS = 20_000;

/**
 * BRAIN_ARCHIVER=thread (the default): the archiver's loop runs in a worker thread of this process, so moving every
 * message to Postgres (reading it back, parsing it, building the insert, its garbage) costs the request loop
 * nothing. The thread reports what it stored, its failures and the lag, which land in ArchiveMetrics (/metrics,
 * readiness, as inline), and its log lines, written here through the app's logger. A thread that dies is started
 * again with backoff (its reads wait in Redis and are taken over as any crashed replica's); on shutdown it finishes
 * its current batch and closes its connections before the process exits.
 */
@Injectable()
export class ArchiveThread implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ArchiveThread');
  private worker: Worker | undefined;
  private stopping = false;
  private startedAt = 0;
  private readonly restarts = new RestartBackoff();
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    private readonly metrics: ArchiveMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.archive.mode === 'thread') this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ kind: 'stop' } satisfies ArchiveThreadCommand);
    const timer = setTimeout(() => {
      this.logger.warn(
        `Archive thread still busy after ${STOP_TIMEOUT_MS} ms; ending it (its reads wait in Redis)`,
      );
      void worker.terminate();
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private start(): void {
    this.restartTimer = undefined;
    // In the thread the archiver runs inline: it is the thread's whole job.
    const config = { ...this.config, archive: { ...this.config.archive, mode: 'inline' as const } };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { config } });
    this.worker = worker;
    this.startedAt = Date.now();
    worker.on('message', (message: ArchiveThreadMessage) => this.receive(message));
    worker.on('error', (error: Error) =>
      this.logger.error(`Archive thread failed: ${error.message}`, error.stack),
    );
    worker.once('exit', (code) => this.exited(worker, code));
  }

  private receive(message: ArchiveThreadMessage): void {
    switch (message.kind) {
      case 'ready':
        return this.logger.log(`Archiving in its own thread (thread ${this.worker?.threadId})`);
      case 'stored':
        return this.metrics.stored(message.count);
      case 'failed':
        return this.metrics.failed();
      case 'lag':
        return this.metrics.lagMeasured(message.lag);
      case 'log':
        if (message.stack) return Logger[message.level](message.text, message.stack, message.context);
        return Logger[message.level](message.text, message.context);
    }
  }

  private exited(worker: Worker, code: number): void {
    if (this.worker === worker) this.worker = undefined;
    if (this.stopping) {
      if (code === 0) this.logger.log('Archive thread stopped after its current batch');
      else this.logger.warn(`Archive thread ended with code ${code} while stopping`);
      return;
    }
    this.metrics.failed();
    const ranMs = Date.now() - this.startedAt;
    const delay = this.restarts.afterDeath(ranMs);
    this.logger.error(
      `Archive thread exited unexpectedly (code ${code}) after ${ranMs} ms; starting it again in ${delay} ms ` +
        '(entries wait in Redis)',
    );
    this.restartTimer = setTimeout(() => this.start(), delay);
  }
}
