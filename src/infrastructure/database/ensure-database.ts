import { Logger } from '@nestjs/common';
import { Client } from 'pg';

/**
 * Creates the database named in `url` if it does not exist and the role may create it,
 * so a fresh machine needs no manual SQL. Any other failure is left to the real connection to report.
 */
export async function ensureDatabase(url: string, logger = new Logger('Database')): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name || name === 'postgres') return;
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      logger.log(`Created database '${name}'`);
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 42P04: created meanwhile by another replica.
    if (code !== '42P04')
      logger.warn(`Could not make sure database '${name}' exists: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
