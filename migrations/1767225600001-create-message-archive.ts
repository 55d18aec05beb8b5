import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The archive of every message and of each recipient's acknowledgement. Rows come from the archiver in batches;
 * `id` makes re-sent batches harmless. Timestamps are written with millisecond precision (they come from JS dates),
 * which the (created_at, id) keyset cursors rely on.
 */
export class CreateMessageArchive1767225600001 implements MigrationInterface {
  name = 'CreateMessageArchive1767225600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        from_agent varchar(64) NOT NULL,
        to_agent varchar(64) NOT NULL,
        priority varchar(8) NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
        type text NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        archived_at timestamptz NOT NULL DEFAULT now()
      )`);
    // History: what an agent sent, what it received (direct, and broadcasts under to_agent = 'broadcast').
    await queryRunner.query(
      `CREATE INDEX messages_from_created_idx ON messages (from_agent, created_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX messages_to_created_idx ON messages (to_agent, created_at DESC, id DESC)`,
    );
    // Conversations (one direction per index scan) and the busiest pairs.
    await queryRunner.query(
      `CREATE INDEX messages_pair_created_idx ON messages (from_agent, to_agent, created_at DESC, id DESC)`,
    );
    // Insights over a time window and the retention job.
    await queryRunner.query(`CREATE INDEX messages_created_idx ON messages (created_at)`);

    // No foreign key to messages: an ack may be archived before its message (they travel in different streams).
    await queryRunner.query(`
      CREATE TABLE message_acks (
        message_id uuid NOT NULL,
        agent_id varchar(64) NOT NULL,
        acknowledged_at timestamptz NOT NULL,
        PRIMARY KEY (message_id, agent_id)
      )`);
    // Retention of acks whose message is gone (or never came).
    await queryRunner.query(`CREATE INDEX message_acks_acknowledged_idx ON message_acks (acknowledged_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE message_acks`);
    await queryRunner.query(`DROP TABLE messages`);
  }
}
