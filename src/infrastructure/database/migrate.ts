/**
 * `npm run migration:run` / `npm run migration:revert`: creates the database if needed, then applies (or reverts
 * the last of) the migrations in migrations/. The app runs the same migrations at start.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateEnvironment } from '../../config/environment';
import { dataSourceOptions } from './data-source-options';
import { ensureDatabase } from './ensure-database';

async function main(): Promise<void> {
  const env = validateEnvironment(process.env);
  await ensureDatabase(env.DATABASE_URL);
  const dataSource = new DataSource(dataSourceOptions(env.DATABASE_URL));
  await dataSource.initialize();
  try {
    if (process.argv.includes('--revert')) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('Reverted the last migration');
    } else {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      console.log(
        applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'Nothing to migrate',
      );
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
