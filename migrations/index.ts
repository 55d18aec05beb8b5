/**
 * Every migration, in order. Listed explicitly (not globbed) so the same list works from ts-jest, ts-node and dist/.
 */
import { MigrationInterface } from 'typeorm';

export const allMigrations: (new () => MigrationInterface)[] = [];
