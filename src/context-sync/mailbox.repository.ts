import { Inject, Injectable } from '@nestjs/common';
import { MailboxKeys, RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { ContextMessage, PRIORITIES, Priority } from './context-message';
import { Mailbox, mailboxOf } from './mailbox-address';
import { tagOf } from './message-ids';
import {
  AckedState,
  AckOutcome,
  AckStatus,
  FetchMode,
  FetchResult,
  Location,
  PublishOutcome,
  PublishStatus,
  RequeueOutcome,
} from './mailbox.replies';
import { defineMailboxScripts, runScript } from './mailbox.scripts';
import {
  EntryFields,
  fieldsOf,
  parseLocation,
  priorityAt,
  priorityIndex,
  toContextMessage,
} from './message-codec';
import { ACK_SENTINELS, DEAD_LETTER_FIELDS, ENTRY_FIELDS, GROUPS } from './redis-schema';

/** Mailboxes whose publish keys are remembered, per kind (bounded like the publisher's known senders). */
const PUBLISH_SLOTS_MAX = 100_000;
const PRIORITY_ARGS = PRIORITIES.map((_, index) => String(index));

type PublishSlot = Readonly<MailboxKeys & { wake: string }>;

export type StreamEntry = [string, string[]];
type RawPending = [number, string, number, string[]];
type RawRequeue = [1, number, string, string[]] | [0] | [-1];

export interface FetchOptions {
  mode: FetchMode;
  consumer: string;
  visibilityMs: number;
  maxDeliveries: number;
  nowMs: number;
  /** How many to take of each priority, critical .. low. */
  limits: number[];
  /** How many to take in all, priority by priority. */
  total: number;
}

/**
 * Redis commands and scripts of the messages in the mailboxes, and nothing else: no rules live here (the services
 * have them). Callers name mailboxes; keys are built here, and replies come back decoded. Every call touches the
 * keys of one slot.
 */
@Injectable()
export class MailboxRepository {
  private readonly directSlots = new Map<string, PublishSlot>();
  private readonly broadcastSlots = new Map<string, PublishSlot>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    /** Only for the long poll's blocking reads, which run on their own connection. */
    private readonly keys: RedisKeys,
  ) {
    defineMailboxScripts(redis);
  }

  /** Whether the agent is registered: its meta key is the gate publish.lua checks before appending. */
  async agentExists(agentId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.agentMeta(agentId))) === 1;
  }

  /** Claims a message id for (sender, target); returns the earlier claim if the id was taken. */
  async claimMessageId(messageId: string, owner: string, ttlSeconds: number): Promise<string | null> {
    const reply = await this.redis.call(
      'SET',
      this.keys.messageClaim(messageId),
      owner,
      'NX',
      'GET',
      'EX',
      ttlSeconds,
    );
    return reply as string | null;
  }

  async readClaim(messageId: string): Promise<string | null> {
    return this.redis.get(this.keys.messageClaim(messageId));
  }

  async releaseClaim(messageId: string): Promise<void> {
    await this.redis.del(this.keys.messageClaim(messageId));
  }

  /** Records that ids with this tag may belong to the pair `owner` ("<sender> <target>"). Idempotent. */
  async recordIdTag(tag: string, owner: string): Promise<void> {
    await this.redis.sadd(this.keys.messageIdTag(tag), owner);
  }

  /**
   * The pair ("<sender> <target>") a message id belongs to: its claim, or for a Brain-chosen id (tagged, no claim)
   * the pair of its tag whose slot holds it. Null when neither knows it (never used, or trimmed from Redis).
   */
  async readOwner(messageId: string): Promise<string | null> {
    return (await this.readClaim(messageId)) ?? this.taggedOwner(messageId);
  }

  /** For a tagged id (message-ids.ts): the pair of its tag whose slot's ids index holds it, else null. */
  async taggedOwner(messageId: string): Promise<string | null> {
    const tag = tagOf(messageId);
    if (tag === null) return null;
    const pairs = await this.redis.smembers(this.keys.messageIdTag(tag));
    const held = await Promise.all(
      pairs.map(async (pair) => {
        const [sender, target] = pair.split(' ');
        return (await this.redis.hexists(this.keys.mailbox(mailboxOf(target, sender)).ids, messageId)) === 1;
      }),
    );
    return pairs.find((_, i) => held[i]) ?? null;
  }

  async publish(
    mailbox: Mailbox,
    message: {
      id: string;
      from: string;
      type: string;
      payload: string;
      timestampMs: number;
      priority: Priority;
      /** Optional entry fields as name, value pairs (empty values are not stored). */
      optional?: string[];
    },
  ): Promise<PublishOutcome> {
    const slot = this.publishSlotOf(mailbox);
    const p = priorityIndex(message.priority);
    // A direct publish does not touch KEYS[5..6]; they are passed (same slot) because the key count is fixed.
    const scriptKeys = [slot.streams[p], slot.ids, slot.gate, slot.stats, slot.acked, slot.cursor];
    const { id, from, type, payload, timestampMs, optional } = message;
    const args = [id, from, type, payload, String(timestampMs), PRIORITY_ARGS[p], mailbox.kind, slot.wake];
    if (optional !== undefined) for (const field of optional) args.push(field);
    const reply = await runScript<[PublishStatus, string?]>(this.redis, 'publish', scriptKeys, args);
    const [status, location] = reply;
    return status === PublishStatus.Duplicate ? { status, location: parseLocation(location!) } : { status };
  }

  /** A mailbox's keys and wake channel, built once per replica: building them per publish was much of its garbage. */
  private publishSlotOf(mailbox: Mailbox): PublishSlot {
    const known = mailbox.kind === 'direct' ? this.directSlots : this.broadcastSlots;
    let slot = known.get(mailbox.agentId);
    if (slot === undefined) {
      const keys = this.keys.mailbox(mailbox);
      slot = { ...keys, wake: this.keys.wakeChannel(keys) };
      if (known.size >= PUBLISH_SLOTS_MAX) known.clear();
      known.set(mailbox.agentId, slot);
    }
    return slot;
  }

  /** Tells the mailbox's long polls to look again (something became pending without a publish). */
  async wake(mailbox: Mailbox): Promise<void> {
    await this.redis.spublish(this.keys.wakeChannel(this.keys.mailbox(mailbox)), '');
  }

  async fetch(mailbox: Mailbox, options: FetchOptions): Promise<FetchResult> {
    const keys = this.keys.mailbox(mailbox);
    const scriptKeys = [
      ...keys.streams,
      keys.acked,
      keys.cursor,
      keys.dead,
      keys.counters,
      keys.deadIndex,
      keys.leases,
      keys.gate,
    ];
    const [entries, deadLettered, expired, known] = await runScript<[RawPending[], number, number, 0 | 1]>(
      this.redis,
      'fetch',
      scriptKeys,
      [
        options.mode,
        keys.group,
        options.consumer,
        options.visibilityMs,
        options.maxDeliveries,
        options.nowMs,
        ...options.limits,
        GROUPS.archive,
        // Where the recipient's group starts again if the stream lost it: everything in a direct stream is addressed
        // to the recipient; of a broadcast stream, only what comes after.
        mailbox.kind === 'direct' ? '0' : '$',
        options.total,
        mailbox.kind,
      ],
    );
    return {
      entries: entries.map(([p, entryId, deliveryCount, flat]) => ({
        priority: priorityAt(p),
        entryId,
        deliveryCount,
        fields: fieldsOf(flat),
      })),
      deadLettered,
      expired,
      recipientKnown: known === 1,
    };
  }

  /** Acknowledges a batch of message ids in one mailbox (one script call); one answer per id, in order. */
  async acknowledge(mailbox: Mailbox, messageIds: string[], nowMs: number): Promise<AckOutcome[]> {
    const keys = this.keys.mailbox(mailbox);
    const scriptKeys = [
      ...keys.streams,
      keys.ids,
      keys.acked,
      keys.cursor,
      keys.ackLog,
      keys.counters,
      keys.gate,
      keys.dead,
      keys.deadIndex,
    ];
    const replies = await runScript<[AckStatus, string | number][]>(this.redis, 'ack', scriptKeys, [
      keys.group,
      mailbox.agentId,
      nowMs,
      mailbox.kind,
      GROUPS.archive,
      ...messageIds,
    ]);
    return replies.map(([status, at]) => ({ status, at: Number(at) }));
  }

  /** The message stored at `location`, as `target` (an agent id or BROADCAST) receives it. */
  async readMessage(
    mailbox: Mailbox,
    target: string,
    location: Location,
  ): Promise<ContextMessage | undefined> {
    const stream = this.keys.mailbox(mailbox).streams[priorityIndex(location.priority)];
    const flat = await this.readEntry(stream, location.entryId);
    return flat ? toContextMessage(fieldsOf(flat), location.priority, target, 0) : undefined;
  }

  async readLocation(mailbox: Mailbox, messageId: string): Promise<Location | null> {
    const location = await this.redis.hget(this.keys.mailbox(mailbox).ids, messageId);
    return location === null ? null : parseLocation(location);
  }

  /** The recipient's resolution of a message; null while it is unresolved (or its entry was trimmed). */
  async readAcked(mailbox: Mailbox, messageId: string): Promise<AckedState | null> {
    const stored = await this.redis.hget(this.keys.mailbox(mailbox).acked, messageId);
    // A direct slot keeps its recipient's resolution as the third word of the ids value (see keys.ts).
    const value = mailbox.kind === 'direct' ? (stored?.split(' ')[2] ?? null) : stored;
    if (value === null) return null;
    if (/^\d+$/.test(value)) return 'acknowledged';
    if (value === ACK_SENTINELS.dead) return 'dead';
    if (value === ACK_SENTINELS.requeued) return 'requeued';
    if (value === ACK_SENTINELS.expired) return 'expired';
    return 'own-broadcast';
  }

  /** Delivery count of an entry in the recipient's pending list (0 when it is not there). */
  async deliveryCount(mailbox: Mailbox, location: Location): Promise<number> {
    const keys = this.keys.mailbox(mailbox);
    const stream = keys.streams[priorityIndex(location.priority)];
    const { entryId } = location;
    const reply = (await this.redis.xpending(stream, keys.group, entryId, entryId, 1).catch(() => [])) as [
      string,
      string,
      number,
      number,
    ][];
    return reply.length > 0 ? Number(reply[0][3]) : 0;
  }

  // ---- dead letters --------------------------------------------------------------------------------------

  /** Up to `count` dead letters older than the entry `before` (from the newest when null), with their entry ids. */
  async deadLettersBefore(
    mailbox: Mailbox,
    before: string | null,
    count: number,
  ): Promise<[entryId: string, fields: EntryFields][]> {
    const end = before === null ? '+' : `(${before}`;
    const entries = await this.redis.xrevrange(this.keys.mailbox(mailbox).dead, end, '-', 'COUNT', count);
    return entries.map(([entryId, flat]) => [entryId, fieldsOf(flat)]);
  }

  /** One dead letter of the mailbox's recipient, found by message id through the index (no scan). */
  async readDeadLetter(mailbox: Mailbox, messageId: string): Promise<EntryFields | null> {
    const keys = this.keys.mailbox(mailbox);
    const entryId = await this.redis.hget(keys.deadIndex, messageId);
    const flat = entryId ? await this.readEntry(keys.dead, entryId) : null;
    return flat ? fieldsOf(flat) : null;
  }

  async requeueOwn(agentId: string, messageId: string): Promise<RequeueOutcome> {
    const reply = await runScript<RawRequeue>(this.redis, 'requeue', this.requeueKeys(agentId), [
      messageId,
      'own',
    ]);
    return toRequeueOutcome(reply);
  }

  /** Makes a copy of a broadcast dead letter pending in the agent's direct mailbox (idempotent). */
  async requeueCopy(agentId: string, messageId: string, fields: EntryFields): Promise<RequeueOutcome> {
    const reply = await runScript<RawRequeue>(this.redis, 'requeue', this.requeueKeys(agentId), [
      messageId,
      'copy',
      fields[ENTRY_FIELDS.from],
      fields[ENTRY_FIELDS.type] ?? '',
      fields[ENTRY_FIELDS.payload],
      fields[ENTRY_FIELDS.timestampMs],
      fields[DEAD_LETTER_FIELDS.priorityIndex],
      fields[ENTRY_FIELDS.inReplyTo] ?? '',
      fields[ENTRY_FIELDS.routedBy] ?? '',
    ]);
    return toRequeueOutcome(reply);
  }

  /** Removes a requeued broadcast dead letter of the member (see drop-dead-letter.lua). */
  async dropBroadcastDeadLetter(member: string, messageId: string): Promise<void> {
    const keys = this.keys.broadcastMailbox(member);
    const scriptKeys = [keys.dead, keys.deadIndex, keys.acked, keys.counters];
    await runScript<number>(this.redis, 'drop-dead-letter', scriptKeys, [messageId]);
  }

  private requeueKeys(agentId: string): string[] {
    const keys = this.keys.agentMailbox(agentId);
    return [...keys.streams, keys.ids, keys.acked, keys.dead, keys.counters, keys.deadIndex];
  }

  private async readEntry(stream: string, entryId: string): Promise<string[] | null> {
    const found = (await this.redis.xrange(stream, entryId, entryId)) as StreamEntry[];
    return found.length > 0 ? found[0][1] : null;
  }
}

function toRequeueOutcome(reply: RawRequeue): RequeueOutcome {
  if (reply[0] === 1) {
    const [, p, entryId, flat] = reply;
    return { status: 'requeued', priority: priorityAt(p), entryId, fields: fieldsOf(flat) };
  }
  return reply[0] === 0 ? { status: 'missing' } : { status: 'acknowledged' };
}
