import type { Priority } from '../common/ids';

export type { Priority } from '../common/ids';
export { BROADCAST, messageType, PRIORITIES } from '../common/ids';
export type { ArchivedAck, ArchivedMessage } from '../memory/archive-records';

/** A message as agents see it (contract: ContextMessage). */
export interface ContextMessage {
  id: string;
  fromAgent: string;
  /** The recipient, or "broadcast". */
  toAgent: string;
  /** ISO-8601, UTC: when Brain accepted the message. */
  timestamp: string;
  payload: Record<string, unknown>;
  priority: Priority;
  type: string | null;
  /** How many times the message has been handed to a consumer (lease mode); 0 if never. */
  deliveryCount: number;
  /** ISO-8601: when a delayed message is (was) due; null when it was not delayed. */
  deliverAt: string | null;
}

/**
 * Per recipient, exactly one of: acknowledged, pending (deliverable, not acknowledged), dead-lettered (out of the
 * pending flow until requeued or acknowledged) — or none of them once retention has trimmed the message unresolved.
 */
export interface MessageStatus {
  acknowledged: boolean;
  acknowledgedBy: string[];
  pendingFor: string[];
  deadLetteredFor: string[];
  /** Past its ttlSeconds (always false until per-message TTLs exist). */
  expired: boolean;
}

export const DEAD_LETTER_REASONS = ['max_deliveries', 'rejected'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** `deliveryCount` is the count when it died; `detail` is the text given with a rejection, else null. */
export interface DeadLetter extends ContextMessage {
  reason: DeadLetterReason;
  detail: string | null;
  deadAt: string;
}

export interface ShareRequest {
  sourceAgent: string;
  targetAgent: string;
  context: Record<string, unknown>;
  priority?: Priority;
  type?: string | null;
  /** Client-chosen id (uuid) for idempotent publish; generated when absent. */
  id?: string;
  /** 0..86400000: not pending before timestamp + delayMs. */
  delayMs?: number;
}

export interface BroadcastRequest {
  sourceAgent: string;
  context: Record<string, unknown>;
  priority?: Priority;
  type?: string | null;
  id?: string;
  delayMs?: number;
}

/** `created` is false when the id had been published before: the original message is returned. */
export interface PublishResult {
  message: ContextMessage;
  created: boolean;
}

export interface PendingQuery {
  /** 1..1000, default 10. */
  count?: number;
  /** Long poll: with nothing pending, wait up to this many ms (0..30000) for a message. */
  waitMs?: number;
  /** Lease mode: the consumer's name. Without it, a peek that changes nothing. */
  consumer?: string;
  priority?: Priority;
}

export interface Acknowledgement {
  id: string;
  agentId: string;
  acknowledged: true;
  acknowledgedAt: string;
}

export interface ContextSyncStats {
  totalMessages: number;
  pendingMessages: number;
  acknowledgedMessages: number;
  deadLetters: number;
  streamsByAgent: Record<string, number>;
  archiveLag: number;
}
