import * as pg from 'pg';
import { DataSourceOptions } from 'typeorm';
import { allMigrations } from '../../../migrations';
import { MAIN_POOL_CONNECTIONS } from '../../config/brain.config';

/** One place for the TypeORM options, shared by the app and by `npm run migration:run`. */
export function dataSourceOptions(
  url: string,
  connections = MAIN_POOL_CONNECTIONS,
  applicationName = 'brain',
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // Handed over explicitly: TypeORM's own lookup of 'pg' fails under Jest's module loader.
    driver: pg,
    migrations: allMigrations,
    migrationsTableName: 'brain_migrations',
    // Schema changes only through reviewed migrations.
    synchronize: false,
    extra: {
      max: connections,
      connectionTimeoutMillis: 2000,
      // A stuck query must not hold a request (or the archiver) forever.
      statement_timeout: 15000,
      idle_in_transaction_session_timeout: 30000,
      application_name: applicationName,
    },
  };
}
