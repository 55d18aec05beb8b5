import cluster, { Worker } from 'node:cluster';
import pino from 'pino';
import { RestartBackoff } from './common/restart-backoff';
import { BrainConfig } from './config/brain.config';
import { applyMigrations } from './infrastructure/database/migrate';

/** Restarts of one slot in a row that die early; then the primary gives up and exits 1 (its supervisor takes over). */
const MAX_EARLY_DEATHS = 5;
/** Attempts at the migrations before the workers fork, like TypeORM's own retries in a single process. */
const MIGRATION_ATTEMPTS = 5;
const MIGRATION_RETRY_MS = 2_000;

interface Slot {
  readonly index: number;
  worker?: Worker;
  startedAt: number;
  listening: boolean;
  everListened: boolean;
  readonly restarts: RestartBackoff;
  restartTimer?: NodeJS.Timeout;
}

type Log = pino.Logger;

/**
 * The primary of BRAIN_WORKERS > 1: it serves nothing itself. It applies the migrations once, then forks the
 * workers, which share the port through node:cluster (connections handed out round-robin) and are full replicas
 * of each other, exactly like replicas on separate machines: everything they share lives in Redis and Postgres.
 * A worker that dies is forked again with backoff; SIGTERM (or SIGINT) is passed to every worker, each drains as a
 * single process does, and the primary exits once they all have: 0 when each ended cleanly.
 */
export async function runPrimary(config: BrainConfig): Promise<void> {
  const log = pino({
    level: config.logLevel,
    base: { pid: process.pid, context: 'Workers' },
    transport:
      config.env === 'development' ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
  });
  await migrateOnce(config, log);
  const env: Record<string, string> = {};
  if (config.auth.adminTokenGenerated) {
    // Every worker must accept the same admin token: generated once, here.
    env.BRAIN_ADMIN_TOKEN = config.auth.adminToken;
    log.warn(`BRAIN_ADMIN_TOKEN is not set; generated one for this run: ${config.auth.adminToken}`);
  }
  // node:cluster hands out connections, so no affinity on the mcp-session-id header is possible here.
  log.warn(
    `${config.workers} workers: an MCP session (/mcp) lives in the worker that opened it; a request of it that arrives ` +
      'on a connection handed to another worker gets 404 and its client must initialize again. ' +
      'Serve MCP clients from a BRAIN_WORKERS=1 instance.',
  );
  new Supervisor(config.workers, env, log).start();
}

async function migrateOnce(config: BrainConfig, log: Log): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await applyMigrations(config.database.url);
      if (applied.length > 0) log.info(`Applied migrations: ${applied.join(', ')}`);
      return;
    } catch (error) {
      if (attempt >= MIGRATION_ATTEMPTS) throw error;
      log.warn(`Migrations failed (attempt ${attempt}/${MIGRATION_ATTEMPTS}): ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_RETRY_MS));
    }
  }
}

class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private cleanExits = true;

  constructor(
    count: number,
    private readonly env: Record<string, string>,
    private readonly log: Log,
  ) {
    this.slots = Array.from({ length: count }, (_, index) => ({
      index,
      startedAt: 0,
      listening: false,
      everListened: false,
      restarts: new RestartBackoff(),
    }));
  }

  start(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.stop(signal));
    for (const slot of this.slots) this.fork(slot);
  }

  private fork(slot: Slot): void {
    slot.restartTimer = undefined;
    const worker = cluster.fork(this.env);
    Object.assign(slot, { worker, startedAt: Date.now(), listening: false });
    worker.once('listening', () => {
      slot.listening = true;
      slot.everListened = true;
      this.log.info(`worker ${slot.index} (pid ${worker.process.pid}) is serving`);
      if (this.slots.every((s) => s.listening)) {
        const pids = this.slots.map((s) => s.worker?.process.pid).join(', ');
        this.log.info(`${this.slots.length} workers serving (pids ${pids}); primary pid ${process.pid}`);
      }
    });
    worker.once('exit', (code, signal) => this.exited(slot, worker, code, signal));
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    slot.worker = undefined;
    slot.listening = false;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (this.stopping) {
      const clean = code === 0 || signal === 'SIGTERM' || signal === 'SIGINT';
      if (!clean) this.cleanExits = false;
      this.log.info(`worker ${slot.index} (pid ${worker.process.pid}) stopped (${how})`);
      this.exitWhenAllStopped();
      return;
    }
    if (!slot.everListened) {
      // It never served: a start-up failure (bad setting, unreachable dependency) that a restart will not cure.
      this.log.fatal(`worker ${slot.index} (pid ${worker.process.pid}) failed to start (${how}); stopping`);
      this.cleanExits = false;
      this.stop('SIGTERM', 1);
      return;
    }
    const ranMs = Date.now() - slot.startedAt;
    const delay = slot.restarts.afterDeath(ranMs);
    if (slot.restarts.earlyDeaths >= MAX_EARLY_DEATHS) {
      this.log.fatal(
        `worker ${slot.index} died ${slot.restarts.earlyDeaths} times in a row within a minute; stopping`,
      );
      this.cleanExits = false;
      this.stop('SIGTERM', 1);
      return;
    }
    this.log.error(
      `worker ${slot.index} (pid ${worker.process.pid}) died unexpectedly (${how}) after ${ranMs} ms; forking it again in ${delay} ms`,
    );
    slot.restartTimer = setTimeout(() => this.fork(slot), delay);
  }

  private stop(signal: NodeJS.Signals, exitCode = 0): void {
    if (exitCode !== 0) this.cleanExits = false;
    if (this.stopping) return;
    this.stopping = true;
    this.log.info(`Shutting down on ${signal}: stopping ${this.live().length} workers`);
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    // A worker that got the signal already (a terminal's Ctrl-C reaches the whole group) ignores the second one.
    for (const worker of this.live()) worker.process.kill('SIGTERM');
    this.exitWhenAllStopped();
  }

  private exitWhenAllStopped(): void {
    if (this.live().length > 0) return;
    this.log.info('all workers stopped');
    this.log.flush(() => process.exit(this.cleanExits ? 0 : 1));
  }

  private live(): Worker[] {
    return this.slots.flatMap((slot) => (slot.worker && !slot.worker.isDead() ? [slot.worker] : []));
  }
}
