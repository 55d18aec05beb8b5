import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { postgres } from './postgres';

/** Connections of the memory-read pool; the main pool (10) stays for writes, the archiver, agents and health. */
const READ_CONNECTIONS = 4;
/** A read waiting longer than this for a connection answers 503 "try again" instead of queueing on. */
const WAIT_FOR_CONNECTION_MS = 10000;
const READ_STATEMENT_TIMEOUT_MS = 10000;

/**
 * The pool that memory reads (memories, history, conversations, insights) run on, apart from the main one: however
 * many big pages agents ask for at once, publishes (archive inserts), registrations and readiness still find a
 * connection. Reads beyond READ_CONNECTIONS wait in pg's queue, bounded in time.
 */
@Injectable()
export class MemoryReads implements OnModuleDestroy {
  private readonly logger = new Logger('MemoryReads');
  private readonly pool: Pool;

  constructor(@Inject(brainConfig.KEY) config: BrainConfigType) {
    this.pool = new Pool({
      connectionString: config.database.url,
      max: READ_CONNECTIONS,
      connectionTimeoutMillis: WAIT_FOR_CONNECTION_MS,
      statement_timeout: READ_STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: 30000,
      application_name: 'brain-memory-reads',
    });
    // An idle connection dropped by Postgres (restart, outage) must not crash the process; the next read reconnects.
    this.pool.on('error', (error) => this.logger.warn(`idle read connection lost: ${error.message}`));
  }

  /**
   * `prepared`: as a named prepared statement, parsed and planned once per connection and text (then Postgres may
   * keep a generic plan), for frequent statements whose text takes few shapes; others are planned on each call.
   */
  async query<T>(text: string, values: unknown[], options: { prepared?: boolean } = {}): Promise<T[]> {
    const name = options.prepared ? statementName(text) : undefined;
    return (await postgres(this.pool.query({ text, values, name }))).rows as T[];
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}

/** One name per statement text (pg refuses a name reused for another text on a connection). */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 1000;

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `brain_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    if (statementNames.size < MAX_STATEMENT_NAMES) statementNames.set(text, name);
  }
  return name;
}
