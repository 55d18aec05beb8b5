import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agents' context records. `search` is a generated tsvector over the type, the tags and every string and number in
 * the JSON context, for `q` (websearch_to_tsquery) through a GIN index, never LIKE.
 */
export class CreateMemories1767225600002 implements MigrationInterface {
  name = 'CreateMemories1767225600002';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A generated column needs an immutable expression; array_to_string is only marked stable (because of other
    // element types), but on text[] its result depends on nothing but its input.
    await queryRunner.query(`
      CREATE FUNCTION brain_memory_search_vector(type text, tags text[], context jsonb) RETURNS tsvector
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT to_tsvector('english', coalesce(type, '') || ' ' || array_to_string(tags, ' '))
            || jsonb_to_tsvector('english', context, '["string", "numeric"]')
      $$`);
    await queryRunner.query(`
      CREATE TABLE memories (
        id uuid PRIMARY KEY,
        agent_id varchar(64) NOT NULL,
        kind varchar(16) NOT NULL DEFAULT 'context' CHECK (kind = 'context'),
        type text NULL,
        context jsonb NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        visibility varchar(8) NOT NULL DEFAULT 'shared' CHECK (visibility IN ('shared', 'private')),
        created_at timestamptz NOT NULL,
        expires_at timestamptz NULL,
        search tsvector GENERATED ALWAYS AS (brain_memory_search_vector(type, tags, context)) STORED
      )`);
    await queryRunner.query(
      `CREATE INDEX memories_agent_created_idx ON memories (agent_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(`CREATE INDEX memories_tags_idx ON memories USING gin (tags)`);
    await queryRunner.query(`CREATE INDEX memories_search_idx ON memories USING gin (search)`);
    await queryRunner.query(
      `CREATE INDEX memories_expires_idx ON memories (expires_at) WHERE expires_at IS NOT NULL`,
    );
    // Insights over a time window.
    await queryRunner.query(`CREATE INDEX memories_created_idx ON memories (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE memories`);
    await queryRunner.query(`DROP FUNCTION brain_memory_search_vector(text, text[], jsonb)`);
  }
}
