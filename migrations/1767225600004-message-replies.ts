import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Threads and routing survive the archive: `in_reply_to` is the message a message answers (conversations show
 * threads from it), `routed_by` how Brain chose its recipient ("capability:<name>"). No foreign key: the answered
 * message may be trimmed by retention, or not archived yet, while its answer is.
 */
export class MessageReplies1767225600004 implements MigrationInterface {
  name = 'MessageReplies1767225600004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE messages ADD COLUMN in_reply_to uuid, ADD COLUMN routed_by varchar(200)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN routed_by, DROP COLUMN in_reply_to`);
  }
}
