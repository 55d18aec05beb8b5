import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Opaque JSON round-trips exactly. jsonb cannot hold NUL or a lone UTF-16 surrogate, which JSON allows: a payload or
 * context holding one keeps a cleaned copy (U+FFFD) in its jsonb column, for search and filters, and its exact JSON
 * text here (the characters as `\u0000` / `\ud800` escapes: plain text), which reads return instead. NULL for every
 * other record, so the columns cost nothing there (and adding them rewrites no table).
 */
export class ExactJson1767225600005 implements MigrationInterface {
  name = 'ExactJson1767225600005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN payload_text text`);
    await queryRunner.query(`ALTER TABLE memories ADD COLUMN context_text text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE memories DROP COLUMN context_text`);
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN payload_text`);
  }
}
