import type { Priority } from '../common/ids';

export type { Priority } from '../common/ids';
export { BROADCAST, messageType, PRIORITIES } from '../common/ids';
export type { ArchivedAck, ArchivedMessage } from '../memory/archive-records';
import type { MemoryRecord } from '../memory/memory-record';

/** An archived message of a conversation, as the design note's `getHistory` hands it out (`timestamp` = createdAt). */
export interface HistoryRecord extends MemoryRecord {
  timestamp: string;
}

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
  /** The message this one answers, or null. */
  inReplyTo: string | null;
  /** ISO-8601: when it stops being pending (ttlSeconds), or null. */
  expiresAt: string | null;
  /** ISO-8601: when it becomes pending (delayMs), or null. */
  deliverAt: string | null;
  /** How Brain chose the recipient ("capability:<name>"), or null when the sender named it. */
  routedBy: string | null;
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
  /** Past its ttlSeconds: pending for nobody (history keeps it). */
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

/** A page of an agent's dead letters, newest first; `nextCursor` continues it (null on the last page). */
export interface DeadLetterPage {
  items: DeadLetter[];
  nextCursor: string | null;
}

export interface ShareRequest {
  sourceAgent: string;
  targetAgent: string;
  context: Record<string, unknown>;
  priority?: Priority;
  type?: string | null;
  /** Client-chosen id (uuid) for idempotent publish; generated when absent. */
  id?: string;
  /** 1..BRAIN_RETENTION_HOURS × 3600: after it the message is pending for nobody. */
  ttlSeconds?: number;
  /** The message this one answers (uuid). */
  inReplyTo?: string | null;
  /** 0..86400000: not pending before timestamp + delayMs. */
  delayMs?: number;
}

export interface BroadcastRequest {
  sourceAgent: string;
  context: Record<string, unknown>;
  priority?: Priority;
  type?: string | null;
  id?: string;
  ttlSeconds?: number;
  inReplyTo?: string | null;
  delayMs?: number;
}

/** A message whose recipient Brain chooses: the least-loaded registered agent offering the capability. */
export interface RoutedShareRequest extends Omit<ShareRequest, 'targetAgent'> {
  /** `type` is the design note's spelling, accepted in-process as an alias of `capability`. */
  routing: { capability: string } | { type: string };
}

/** Options of the design note's positional `getPendingMessages(agentId, count, { priority })`. */
export interface PendingOptions {
  priority?: Priority;
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
  /** Whether the caller's token still works: asked after every wait, so a revoked token's poll ends with 401. */
  stillAuthorized?: () => Promise<boolean>;
}

export interface Acknowledgement {
  id: string;
  agentId: string;
  acknowledged: true;
  acknowledgedAt: string;
}

/** A lease held past the visibility timeout (POST /v1/messages/{id}/lease). */
export interface LeaseExtension {
  id: string;
  consumer: string;
  /** ISO-8601: the message stays with this consumer until then. */
  leasedUntil: string;
}

export interface ContextSyncStats {
  totalMessages: number;
  pendingMessages: number;
  acknowledgedMessages: number;
  deadLetters: number;
  streamsByAgent: Record<string, number>;
  archiveLag: number;
}

export interface MessageWithStatus {
  message: ContextMessage;
  status: MessageStatus;
  recipients: string[];
}

export interface NackOptions {
  /** The lease consumer nacking; another consumer holding a live lease then answers 409. */
  consumer?: string;
  /** ≤ 500 characters; a rejection's dead letter carries it as `detail`. */
  reason?: string;
  requeue?: boolean;
  /** 0..3600000: the requeued message is pending again only after this long. */
  delayMs?: number;
}

export interface NackResult {
  id: string;
  agentId: string;
  outcome: 'requeued' | 'dead_lettered';
}

/** One agent's figures for the dashboard, from counters (no stream scans). */
export interface AgentStats {
  agentId: string;
  /** Pending per priority, direct and broadcast together. */
  pending: Record<Priority, number>;
  pendingMessages: number;
  acknowledgedMessages: number;
  deadLetters: number;
}

export const THROUGHPUT_STEP_MS = 2_000;
export const THROUGHPUT_WINDOW_MS = 15 * 60_000;

/** Messages per second over one step of the series, ending at `at`. */
export interface ThroughputPoint {
  at: Date;
  published: number;
  acknowledged: number;
}

/** Messages read (and, with a consumer, leased) at once: what one stream may have buffered for a slow client. */
export const EVENT_BATCH = 100;

/** Where a stream's events go: the HTTP response, written as Server-Sent Events. */
export interface EventSink {
  /** Writes the messages in order; resolves once the client may take more (its socket drained) or has gone. */
  messages(messages: ContextMessage[]): Promise<void>;
  /** A comment line that keeps proxies from closing an idle connection. */
  keepAlive(): Promise<void>;
  /** Ends the response; `reconnect` tells the client to come back (the replica is shutting down). */
  end(reconnect: boolean): void;
  /** Resolves when the client goes away. */
  readonly gone: Promise<void>;
}

export interface EventStreamOptions {
  /** Lease mode, exactly like `GET …/messages?consumer=`; without it a peek. */
  consumer?: string;
  priority?: Priority;
  /**
   * Whether the caller may still read (its token was not rotated away, its agent not deleted): asked before every
   * read, so a stream ends within a keep-alive interval of the change and pushes nothing after it.
   */
  stillAuthorized?: () => Promise<boolean>;
}
