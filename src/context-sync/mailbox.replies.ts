import { Priority } from './context-message';
import { EntryFields } from './message-codec';

/** What publish.lua answers. */
export enum PublishStatus {
  Appended = 1,
  /** The id was published to this mailbox before: nothing appended. */
  Duplicate = 0,
  /** A direct message to an agent that is not registered. */
  NoRecipient = -1,
}

/** What ack.lua answers per message id. */
export enum AckStatus {
  Acknowledged = 1,
  AlreadyAcknowledged = 0,
  NotFound = -1,
  NotRecipient = -2,
}

/** Where a message lives in its slot: the ids index's "<priority index> <entry id>". */
export interface Location {
  priority: Priority;
  entryId: string;
}

export type PublishOutcome =
  | { status: PublishStatus.Appended | PublishStatus.NoRecipient }
  | { status: PublishStatus.Duplicate; location: Location };

/** `at`: the ack time in ms (now, or when it was acknowledged before); 0 when not acknowledged. */
export interface AckOutcome {
  status: AckStatus;
  at: number;
}

export type FetchMode = 'peek' | 'available' | 'lease';

/** One deliverable entry as fetch.lua handed it out. */
export interface PendingEntry {
  priority: Priority;
  entryId: string;
  deliveryCount: number;
  fields: EntryFields;
}

export interface FetchResult {
  entries: PendingEntry[];
  /** Entries this call moved to the dead letters. */
  deadLettered: number;
  /** Entries this call found past their TTL (settled for the recipient). */
  expired: number;
  /** false: the agent is not registered (direct) or not a broadcast member; the call read and changed nothing. */
  recipientKnown: boolean;
}

/** requeued: pending again as `entryId`; missing: no such dead letter; acknowledged: the agent acknowledged it. */
export type RequeueOutcome =
  | { status: 'requeued'; priority: Priority; entryId: string; fields: EntryFields }
  | { status: 'missing' }
  | { status: 'acknowledged' };

/** One recipient's entry in an acked hash, decoded (see ACK_SENTINELS). */
export type AckedState = 'acknowledged' | 'own-broadcast' | 'dead' | 'requeued' | 'expired';

/** The counters one recipient's pending count is computed from (see the pending invariant in README.md). */
export interface MailboxCounters {
  /** Per priority: entries ever appended to the slot's stream. */
  added: number[];
  /** Per priority: entries the recipient's group has read. */
  read: number[];
  /** Per priority: entries the group holds unacknowledged (its pending entries list). */
  held: number[];
  /** Entries acknowledged before they were read: in total, and per priority (kept since early:<p> exists). */
  early: number;
  earlyByPriority: number[];
  acked: number;
  dead: number;
}

/** A batch of one stream read by the archive group. */
export interface ArchiveBatch {
  priority: Priority;
  entries: { streamId: string; fields: EntryFields }[];
}
