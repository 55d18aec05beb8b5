import { MigrationInterface, QueryRunner } from 'typeorm';

/** The agent registry: what Postgres keeps of each agent (Redis mirrors what the hot path needs). */
export class CreateAgents1767225600000 implements MigrationInterface {
  name = 'CreateAgents1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agents (
        id varchar(64) PRIMARY KEY,
        name text NULL,
        description text NULL,
        capabilities jsonb NOT NULL DEFAULT '[]',
        metadata jsonb NOT NULL DEFAULT '{}',
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE agents`);
  }
}
