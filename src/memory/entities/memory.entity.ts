import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A row of `memories` (migrations/1767225600002-create-memories.ts, 1767225600003-memory-pages.ts). The generated
 * `search` and `context_bytes` columns and the ordering `seq` are left out on purpose: only SQL in the repositories
 * reads them, and TypeORM must never try to write the generated ones.
 */
@Entity({ name: 'memories' })
export class MemoryEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'agent_id', type: 'varchar', length: 64 })
  agentId: string;

  @Column({ type: 'varchar', length: 16, default: 'context' })
  kind: 'context';

  @Column({ type: 'text', nullable: true })
  type: string | null;

  /** Cleaned when jsonb cannot hold the context (NUL, lone surrogates): then `contextText` is the exact one. */
  @Column({ type: 'jsonb' })
  context: Record<string, unknown>;

  /** The context's exact JSON text, or null when `context` is exact (1767225600005-exact-json.ts). */
  @Column({ name: 'context_text', type: 'text', nullable: true })
  contextText: string | null;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  tags: string[];

  @Column({ type: 'varchar', length: 8, default: 'shared' })
  visibility: 'shared' | 'private';

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;
}
