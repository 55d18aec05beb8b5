import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A row of `message_acks`: one recipient's acknowledgement. No foreign key: it may arrive before its message. */
@Entity({ name: 'message_acks' })
export class MessageAckEntity {
  @PrimaryColumn({ name: 'message_id', type: 'uuid' })
  messageId: string;

  @PrimaryColumn({ name: 'agent_id', type: 'varchar', length: 64 })
  agentId: string;

  @Column({ name: 'acknowledged_at', type: 'timestamptz' })
  acknowledgedAt: Date;
}
