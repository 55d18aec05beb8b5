import * as pg from 'pg';
import { DataSourceOptions } from 'typeorm';
import { allMigrations } from '../../../migrations';

/** One place for the TypeORM options, shared by the app and by `npm run migration:run`. */
export function dataSourceOptions(url: string): DataSourceOptions {
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
      max: 10,
      connectionTimeoutMillis: 2000,
      // A stuck query must not hold a request (or the archiver) forever.
      statement_timeout: 15000,
      idle_in_transaction_session_timeout: 30000,
      application_name: 'brain',
    },
  };
}
