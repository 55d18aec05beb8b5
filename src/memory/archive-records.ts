import type { Priority } from '../common/ids';

/*
 * What the archive accepts. Memory owns these input types (the consumer defines what it takes); ContextSync, which
 * depends on Memory, builds them, so neither module imports the other both ways.
 */

/** What the archiver hands to Postgres: one stored message. */
export interface ArchivedMessage {
  id: string;
  fromAgent: string;
  toAgent: string;
  priority: Priority;
  type: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** The stream entry id it was archived from ("<ms>-<seq>"): orders messages of the same millisecond. */
  streamId?: string;
  /** The message it answers, or null. */
  inReplyTo?: string | null;
  /** "capability:<name>" when Brain chose the recipient, or null. */
  routedBy?: string | null;
}

/** One recipient's acknowledgement, archived to Postgres. */
export interface ArchivedAck {
  messageId: string;
  agentId: string;
  acknowledgedAt: Date;
}
