import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Priority } from '../../common/ids';

/**
 * A row of `messages`: one archived message (migrations/1767225600001-create-message-archive.ts). `seq` (its stream
 * position) and the generated `payload_bytes` (1767225600003-memory-pages.ts) are read and written by SQL only.
 */
@Entity({ name: 'messages' })
export class MessageEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'from_agent', type: 'varchar', length: 64 })
  fromAgent: string;

  /** The recipient, or 'broadcast'. */
  @Column({ name: 'to_agent', type: 'varchar', length: 64 })
  toAgent: string;

  @Column({ type: 'varchar', length: 8 })
  priority: Priority;

  @Column({ type: 'text', nullable: true })
  type: string | null;

  /** Cleaned when jsonb cannot hold the payload (NUL, lone surrogates): then `payloadText` is the exact one. */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  /** The payload's exact JSON text, or null when `payload` is exact (1767225600005-exact-json.ts). */
  @Column({ name: 'payload_text', type: 'text', nullable: true })
  payloadText: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** The message it answers (1767225600004-message-replies.ts). */
  @Column({ name: 'in_reply_to', type: 'uuid', nullable: true })
  inReplyTo: string | null;

  @Column({ name: 'routed_by', type: 'varchar', length: 200, nullable: true })
  routedBy: string | null;

  @Column({ name: 'archived_at', type: 'timestamptz', default: () => 'now()' })
  archivedAt: Date;
}
