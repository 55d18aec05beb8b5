import { Logger } from '@nestjs/common';
import * as pg from 'pg';
import { DataSource } from 'typeorm';
import { allMigrations } from '../../migrations';
import { dataSourceOptions } from '../../src/infrastructure/database/data-source-options';
import { ensureDatabase } from '../../src/infrastructure/database/ensure-database';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';

describe('migrations of the memory and agent tables (integration)', () => {
  let environment: TestEnvironment;
  let dataSource: DataSource;

  const tables = async () =>
    (
      await dataSource.query<{ table_name: string }[]>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'brain_migrations' ORDER BY 1`,
      )
    ).map((row) => row.table_name);

  beforeAll(async () => {
    environment = newTestEnvironment('memmigrations');
    const quiet = { log: () => undefined, warn: () => undefined } as unknown as Logger;
    await ensureDatabase(environment.config.database.url, quiet);
    dataSource = new DataSource({ ...dataSourceOptions(environment.config.database.url), driver: pg });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await environment?.dispose();
  });

  it('apply, revert one by one down to nothing, and apply again', async () => {
    await dataSource.runMigrations({ transaction: 'each' });
    expect(await tables()).toEqual(['agents', 'memories', 'message_acks', 'messages']);

    for (let i = 0; i < allMigrations.length; i++)
      await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables()).toEqual([]);
    const functions = await dataSource.query(
      `SELECT 1 FROM pg_proc WHERE proname = 'brain_memory_search_vector'`,
    );
    expect(functions).toEqual([]);

    await dataSource.runMigrations({ transaction: 'each' });
    expect(await tables()).toEqual(['agents', 'memories', 'message_acks', 'messages']);
  });

  it('gives the memory queries the indexes they need', async () => {
    const indexes = (
      await dataSource.query<{ indexname: string }[]>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('messages', 'memories', 'message_acks') ORDER BY 1`,
      )
    ).map((row) => row.indexname);
    expect(indexes).toEqual(
      expect.arrayContaining([
        'memories_agent_created_idx',
        'memories_tags_idx',
        'memories_search_idx',
        'memories_expires_idx',
        'messages_from_created_idx',
        'messages_to_created_idx',
        'messages_pair_created_idx',
        'messages_created_idx',
      ]),
    );
  });
});
