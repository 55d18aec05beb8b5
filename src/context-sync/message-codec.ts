import {
  ArchivedMessage,
  BROADCAST,
  ContextMessage,
  DeadLetter,
  DeadLetterReason,
  PRIORITIES,
  Priority,
} from './context-message';
import { DEAD_LETTER_FIELDS as DEAD, ENTRY_FIELDS as F } from './redis-schema';

/** A stream entry's fields as a plain object (Redis replies them as a flat [k1, v1, k2, v2, ...] list). */
export type EntryFields = Record<string, string>;

export function fieldsOf(flat: string[]): EntryFields {
  const fields: EntryFields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

export function priorityIndex(priority: Priority): number {
  return PRIORITIES.indexOf(priority);
}

export function priorityAt(index: number): Priority {
  const priority = PRIORITIES[index];
  if (!priority) throw new Error(`no priority at index ${index}`);
  return priority;
}

/** The fields a message is stored with. Recipient and priority are implied by the stream it lives in. */
export function toEntryFields(message: {
  id: string;
  fromAgent: string;
  type: string | null;
  payload: Record<string, unknown>;
  timestampMs: number;
}): string[] {
  return [
    F.messageId,
    message.id,
    F.from,
    message.fromAgent,
    F.type,
    message.type ?? '',
    F.payload,
    JSON.stringify(message.payload),
    F.timestampMs,
    String(message.timestampMs),
  ];
}

/**
 * Rebuilds a ContextMessage from a stream entry. `mailboxOwner` is the agent whose direct stream held it, or
 * "broadcast"; an entry copied into a direct stream from a broadcast dead letter says `to: broadcast` itself.
 */
export function toContextMessage(
  fields: EntryFields,
  priority: Priority,
  mailboxOwner: string,
  deliveryCount: number,
): ContextMessage {
  return {
    id: fields[F.messageId],
    fromAgent: fields[F.from],
    toAgent: fields[F.to] === BROADCAST ? BROADCAST : mailboxOwner,
    timestamp: new Date(Number(fields[F.timestampMs])).toISOString(),
    payload: JSON.parse(fields[F.payload]) as Record<string, unknown>,
    priority,
    type: fields[F.type] ? fields[F.type] : null,
    deliveryCount,
    inReplyTo: fields[F.inReplyTo] || null,
    expiresAt: fields[F.expiresAtMs] ? new Date(Number(fields[F.expiresAtMs])).toISOString() : null,
    deliverAt: fields[F.deliverAtMs] ? new Date(Number(fields[F.deliverAtMs])).toISOString() : null,
    routedBy: fields[F.routedBy] || null,
  };
}

/** The optional entry fields of a publish, as name, value pairs: only those in use (a plain message sends none). */
export function optionalEntryFields(message: {
  inReplyTo?: string | null;
  routedBy?: string | null;
  expiresAtMs?: number;
  deliverAtMs?: number;
}): string[] {
  const pairs: string[] = [];
  if (message.inReplyTo) pairs.push(F.inReplyTo, message.inReplyTo);
  if (message.routedBy) pairs.push(F.routedBy, message.routedBy);
  if (message.expiresAtMs !== undefined) pairs.push(F.expiresAtMs, String(message.expiresAtMs));
  if (message.deliverAtMs !== undefined) pairs.push(F.deliverAtMs, String(message.deliverAtMs));
  return pairs;
}

export function toDeadLetter(fields: EntryFields, mailboxOwner: string): DeadLetter {
  return {
    ...toContextMessage(
      fields,
      priorityAt(Number(fields[DEAD.priorityIndex])),
      mailboxOwner,
      Number(fields[DEAD.deliveryCount]),
    ),
    reason: fields[DEAD.reason] as DeadLetterReason,
    detail: fields[DEAD.detail] ? fields[DEAD.detail] : null,
    deadAt: new Date(Number(fields[DEAD.deadAtMs])).toISOString(),
  };
}

export function toArchivedMessage(message: ContextMessage): ArchivedMessage {
  return {
    id: message.id,
    fromAgent: message.fromAgent,
    toAgent: message.toAgent,
    priority: message.priority,
    type: message.type,
    payload: message.payload,
    createdAt: new Date(message.timestamp),
    inReplyTo: message.inReplyTo,
    routedBy: message.routedBy,
  };
}

/** Stream ids are "<ms>-<seq>"; compares them numerically. */
export function compareEntryIds(a: string, b: string): number {
  const [ams, aseq] = a.split('-').map(Number);
  const [bms, bseq] = b.split('-').map(Number);
  return ams - bms || aseq - bseq;
}

/** Parses an ids-index location "<priority index> <entry id>". */
export function parseLocation(location: string): { priority: Priority; entryId: string } {
  const [index, entryId] = location.split(' ');
  return { priority: priorityAt(Number(index)), entryId };
}
