/**
 * `npm run migration:run` / `npm run migration:revert`: creates the database if needed, then applies (or reverts
 * the last of) the migrations in migrations/. The app runs the same migrations at start (with BRAIN_WORKERS > 1,
 * once in the primary before the workers fork, so they never race on them).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateEnvironment } from '../../config/environment';
import { dataSourceOptions } from './data-source-options';
import { ensureDatabase } from './ensure-database';

/** Creates the database if needed and applies every pending migration; returns their names. */
export async function applyMigrations(url: string, revert = false): Promise<string[]> {
  await ensureDatabase(url);
  const dataSource = new DataSource(dataSourceOptions(url));
  await dataSource.initialize();
  try {
    if (revert) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      return [];
    }
    return (await dataSource.runMigrations({ transaction: 'each' })).map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

async function main(): Promise<void> {
  const env = validateEnvironment(process.env);
  const revert = process.argv.includes('--revert');
  const applied = await applyMigrations(env.DATABASE_URL, revert);
  if (revert) console.log('Reverted the last migration');
  else console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to migrate');
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
