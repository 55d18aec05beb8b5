import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What memory reads need to be bounded and stable:
 * - `seq` breaks ties between records of the same millisecond. For a message it is its stream position
 *   (entry ms × 2^20 + entry sequence), so messages of one stream come back in the order they were published;
 *   memories have no stream and keep 0 (they fall back to id order, as before). Lists order by
 *   (created_at, seq, id), and the indexes follow.
 * - `payload_bytes` / `context_bytes`: the size of the JSON, so a page can stop at BRAIN_MAX_PAGE_BYTES without
 *   reading (and de-TOASTing) the records it will not return.
 * - The search vector also holds the context's keys: `q=revenue` finds `{ "revenue": 1250000 }` (the README's
 *   example), not only records whose values say "revenue".
 */
export class MemoryPages1767225600003 implements MigrationInterface {
  name = 'MemoryPages1767225600003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN seq bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(
      `ALTER TABLE messages ADD COLUMN payload_bytes integer GENERATED ALWAYS AS (octet_length(payload::text)) STORED`,
    );
    await queryRunner.query(`DROP INDEX messages_from_created_idx`);
    await queryRunner.query(`DROP INDEX messages_to_created_idx`);
    await queryRunner.query(`DROP INDEX messages_pair_created_idx`);
    await queryRunner.query(
      `CREATE INDEX messages_from_created_idx ON messages (from_agent, created_at DESC, seq DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX messages_to_created_idx ON messages (to_agent, created_at DESC, seq DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX messages_pair_created_idx ON messages (from_agent, to_agent, created_at DESC, seq DESC, id DESC)`,
    );

    await queryRunner.query(`ALTER TABLE memories ADD COLUMN seq bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(
      `ALTER TABLE memories ADD COLUMN context_bytes integer GENERATED ALWAYS AS (octet_length(context::text)) STORED`,
    );
    await queryRunner.query(`DROP INDEX memories_agent_created_idx`);
    await queryRunner.query(
      `CREATE INDEX memories_agent_created_idx ON memories (agent_id, created_at DESC, seq DESC, id DESC)`,
    );

    await replaceSearch(queryRunner, {
      from: 'brain_memory_search_vector',
      to: 'brain_memory_search_vector_v2',
      indexed: '["string", "numeric", "key"]',
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await replaceSearch(queryRunner, {
      from: 'brain_memory_search_vector_v2',
      to: 'brain_memory_search_vector',
      indexed: '["string", "numeric"]',
    });

    await queryRunner.query(`DROP INDEX memories_agent_created_idx`);
    await queryRunner.query(
      `CREATE INDEX memories_agent_created_idx ON memories (agent_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(`ALTER TABLE memories DROP COLUMN context_bytes, DROP COLUMN seq`);

    await queryRunner.query(`DROP INDEX messages_from_created_idx`);
    await queryRunner.query(`DROP INDEX messages_to_created_idx`);
    await queryRunner.query(`DROP INDEX messages_pair_created_idx`);
    await queryRunner.query(
      `CREATE INDEX messages_from_created_idx ON messages (from_agent, created_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX messages_to_created_idx ON messages (to_agent, created_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX messages_pair_created_idx ON messages (from_agent, to_agent, created_at DESC, id DESC)`,
    );
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN payload_bytes, DROP COLUMN seq`);
  }
}

/**
 * Moves the generated `search` column (and its GIN index) to a new vector function. A generated column's expression
 * cannot be altered before Postgres 17, so the column is dropped and added again.
 */
async function replaceSearch(
  queryRunner: QueryRunner,
  change: { from: string; to: string; indexed: string },
): Promise<void> {
  await queryRunner.query(`
    CREATE FUNCTION ${change.to}(type text, tags text[], context jsonb) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT to_tsvector('english', coalesce(type, '') || ' ' || array_to_string(tags, ' '))
          || jsonb_to_tsvector('english', context, '${change.indexed}')
    $$`);
  await queryRunner.query(`ALTER TABLE memories DROP COLUMN search`);
  await queryRunner.query(`DROP FUNCTION ${change.from}(text, text[], jsonb)`);
  await queryRunner.query(
    `ALTER TABLE memories ADD COLUMN search tsvector GENERATED ALWAYS AS (${change.to}(type, tags, context)) STORED`,
  );
  await queryRunner.query(`CREATE INDEX memories_search_idx ON memories USING gin (search)`);
}
