import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { Global, INestApplicationContext, LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AgentsPersistenceModule } from './agents/agents-persistence.module';
import { brainConfig, BrainConfig } from './config/brain.config';
import {
  ArchiveThreadCommand,
  ArchiveThreadMessage,
  ArchiveThreadModule,
  ThreadLogLevel,
} from './context-sync/context-sync.module';
import { DatabaseModule } from './infrastructure/database/database.module';
import { RedisModule } from './infrastructure/redis/redis.module';

/**
 * The archive thread's composition root (BRAIN_ARCHIVER=thread, started by context-sync's ArchiveThread): the
 * archiver on its own Redis and Postgres connections, with the main thread's configuration. Everything it has to
 * say goes to the main thread as messages: progress for the metrics, log lines for the app's logger.
 */
const port = parentPort!;
/**
 * The archiver's inserts need few connections; its own pool stays small, so a replica holds its main pool, the
 * memory-read pool and this one (README, Deploying: connections per replica).
 */
const ARCHIVE_POOL_CONNECTIONS = 4;
const received = (workerData as { config: BrainConfig }).config;
const config: BrainConfig = {
  ...received,
  database: { ...received.database, connections: ARCHIVE_POOL_CONNECTIONS, applicationName: 'brain-archive' },
};
const post = (message: ArchiveThreadMessage) => port.postMessage(message);

/** Nest's own start-up lines (modules loaded, dependencies initialised) say nothing the main thread did not. */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'NestFactory', 'NestApplicationContext']);

/** Nest's logger in this thread: each line goes to the main thread, which writes it with the app's logger. */
class ParentPortLogger implements LoggerService {
  log = (message: unknown, ...params: unknown[]) => this.write('log', message, params);
  error = (message: unknown, ...params: unknown[]) => this.write('error', message, params);
  warn = (message: unknown, ...params: unknown[]) => this.write('warn', message, params);
  debug = (message: unknown, ...params: unknown[]) => this.write('debug', message, params);
  verbose = (message: unknown, ...params: unknown[]) => this.write('verbose', message, params);
  fatal = (message: unknown, ...params: unknown[]) => this.write('fatal', message, params);

  private write(level: ThreadLogLevel, message: unknown, params: unknown[]): void {
    // Nest passes the context (the logger's name) last, and error(message, stack, context) for exceptions.
    const context = params.length > 0 ? String(params[params.length - 1]) : undefined;
    if (level === 'log' && context && QUIET_CONTEXTS.has(context)) return;
    const stack =
      message instanceof Error ? message.stack : params.length > 1 ? String(params[0]) : undefined;
    const text = message instanceof Error ? message.message : String(message);
    post({ kind: 'log', level, text, stack, context });
  }
}

@Global()
@Module({ providers: [{ provide: brainConfig.KEY, useValue: config }], exports: [brainConfig.KEY] })
class ThreadConfigModule {}

@Module({
  imports: [
    ThreadConfigModule,
    RedisModule,
    DatabaseModule,
    // MemoryModule (where the archive is inserted) reads registration dates through the port this module provides.
    AgentsPersistenceModule,
    ArchiveThreadModule.reportingTo({
      stored: (count) => count > 0 && post({ kind: 'stored', count }),
      failed: () => post({ kind: 'failed' }),
      lagMeasured: (lag) => post({ kind: 'lag', lag }),
    }),
  ],
})
class ArchiveThreadAppModule {}

async function stop(app: INestApplicationContext): Promise<void> {
  // The archiver's shutdown hook waits for its current batch; then Redis and Postgres close.
  await app.close();
  process.exit(0); // in a worker thread: ends this thread only
}

async function run(): Promise<void> {
  const starting = NestFactory.createApplicationContext(ArchiveThreadAppModule, {
    logger: new ParentPortLogger(),
  });
  let stopping: Promise<void> | undefined;
  port.on('message', (command: ArchiveThreadCommand) => {
    if (command.kind === 'stop') stopping ??= starting.then(stop);
  });
  await starting;
  if (!stopping) post({ kind: 'ready' });
}

// A failure to start throws out of the thread: the main thread logs it and starts the thread again with backoff.
void run();
