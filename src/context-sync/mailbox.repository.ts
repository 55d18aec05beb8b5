import { Inject, Injectable } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { MailboxKeys, RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { defineMailboxScripts, runScript } from './mailbox.scripts';
import { EntryFields, fieldsOf } from './message-codec';

/** A stream entry as a script returned it: [priority index, entry id, delivery count, flat fields]. */
export type RawPending = [number, string, number, string[]];
export type FetchMode = 'peek' | 'available' | 'lease';
export type StreamEntry = [string, string[]];
/** 1 acknowledged now, 0 before (at = then), -1 no such message in the mailbox, -2 there but not for this agent. */
export interface AckOutcome {
  status: 1 | 0 | -1 | -2;
  at: number;
}

type RawRequeue = [1, number, string, string[]] | [0] | [-1];
/** requeued: pending again as `entryId`; missing: no such dead letter; acknowledged: the agent acknowledged it. */
export type RequeueOutcome =
  | { status: 'requeued'; priorityIndex: number; entryId: string; fields: EntryFields }
  | { status: 'missing' }
  | { status: 'acknowledged' };

function toRequeueOutcome(reply: RawRequeue): RequeueOutcome {
  if (reply[0] === 1) {
    const [, priorityIndex, entryId, flat] = reply;
    return { status: 'requeued', priorityIndex, entryId, fields: fieldsOf(flat) };
  }
  return reply[0] === 0 ? { status: 'missing' } : { status: 'acknowledged' };
}

export interface FetchOptions {
  mode: FetchMode;
  consumer: string;
  visibilityMs: number;
  maxDeliveries: number;
  nowMs: number;
  /** How many to take of each priority, critical .. low. */
  limits: number[];
}

/**
 * Redis commands and scripts of the mailboxes, and nothing else: no rules live here (ContextSyncService has
 * them). Every call touches the keys of one slot.
 */
@Injectable()
export class MailboxRepository {
  readonly keys: RedisKeys;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(brainConfig.KEY) config: BrainConfigType,
  ) {
    this.keys = new RedisKeys(config.redis.prefix);
    defineMailboxScripts(redis);
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

  async publish(
    mailbox: MailboxKeys,
    kind: 'direct' | 'broadcast',
    message: {
      id: string;
      from: string;
      type: string;
      payload: string;
      timestampMs: number;
      priorityIndex: number;
    },
  ): Promise<{ status: 1 | 0 | -1; location?: string }> {
    // A direct publish does not touch KEYS[5..6]; they are passed (same slot) because the key count is fixed.
    const keys = [
      mailbox.streams[message.priorityIndex],
      mailbox.ids,
      mailbox.gate,
      mailbox.stats,
      mailbox.acked,
      mailbox.cursor,
    ];
    const [status, location] = await runScript<[1 | 0 | -1, string?]>(this.redis, 'publish', keys, [
      message.id,
      message.from,
      message.type,
      message.payload,
      message.timestampMs,
      message.priorityIndex,
      kind,
      this.keys.wakeChannel(mailbox),
    ]);
    return { status, location };
  }

  async fetch(
    mailbox: MailboxKeys,
    options: FetchOptions,
  ): Promise<{ entries: RawPending[]; newest: string[]; deadLettered: number }> {
    const keys = [
      ...mailbox.streams,
      mailbox.acked,
      mailbox.cursor,
      mailbox.dead,
      mailbox.counters,
      mailbox.deadIndex,
    ];
    const [entries, newest, deadLettered] = await runScript<[RawPending[], string[], number]>(
      this.redis,
      'fetch',
      keys,
      [
        options.mode,
        mailbox.group,
        options.consumer,
        options.visibilityMs,
        options.maxDeliveries,
        options.nowMs,
        ...options.limits,
      ],
    );
    return { entries, newest, deadLettered };
  }

  /** Acknowledges a batch of message ids in one mailbox (one script call); one answer per id, in order. */
  async acknowledge(
    mailbox: MailboxKeys,
    kind: 'direct' | 'broadcast',
    messageIds: string[],
    agentId: string,
    nowMs: number,
  ): Promise<AckOutcome[]> {
    const keys = [
      ...mailbox.streams,
      mailbox.ids,
      mailbox.acked,
      mailbox.cursor,
      mailbox.ackLog,
      mailbox.counters,
      mailbox.gate,
      mailbox.dead,
      mailbox.deadIndex,
    ];
    const replies = await runScript<[AckOutcome['status'], string | number][]>(this.redis, 'ack', keys, [
      mailbox.group,
      agentId,
      nowMs,
      kind,
      ...messageIds,
    ]);
    return replies.map(([status, at]) => ({ status, at: Number(at) }));
  }

  async registerAgent(agentId: string, tokenHash: string, nowMs: number): Promise<boolean> {
    const mailbox = this.keys.agentMailbox(agentId);
    const keys = [...mailbox.streams, mailbox.gate, mailbox.cursor];
    const created = await runScript<number>(this.redis, 'register-agent', keys, [
      tokenHash,
      nowMs,
      mailbox.group,
    ]);
    await this.redis.sadd(this.keys.agentRegistry(), agentId);
    return created === 1;
  }

  async joinBroadcast(agentId: string): Promise<void> {
    const mailbox = this.keys.broadcastMailbox(agentId);
    await runScript<number>(
      this.redis,
      'join-broadcast',
      [...mailbox.streams, mailbox.gate, mailbox.cursor, mailbox.stats],
      [agentId],
    );
  }

  /** Members of the broadcast streams and the entry ids (per priority) after which they receive broadcasts. */
  async broadcastMembers(): Promise<Map<string, string[]>> {
    const raw = await this.redis.hgetall(this.keys.broadcastMembers());
    return new Map(Object.entries(raw).map(([agentId, joined]) => [agentId, joined.split(' ')]));
  }

  async agentExists(agentId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.agentMeta(agentId))) === 1;
  }

  async getTokenHash(agentId: string): Promise<string | null> {
    return this.redis.hget(this.keys.agentMeta(agentId), 'tokenHash');
  }

  /** false when the agent is not registered (then nothing is written). */
  async setTokenHash(agentId: string, tokenHash: string): Promise<boolean> {
    return (
      (await runScript<number>(this.redis, 'set-token-hash', [this.keys.agentMeta(agentId)], [tokenHash])) ===
      1
    );
  }

  async listAgentIds(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.agentRegistry())).sort();
  }

  /** Stops new messages to the agent: publish checks the meta key in the same script as the append. */
  async closeAgent(agentId: string): Promise<void> {
    await this.redis.del(this.keys.agentMeta(agentId));
  }

  async deleteAgentKeys(agentId: string): Promise<void> {
    const direct = this.keys.agentMailbox(agentId);
    const broadcast = this.keys.broadcastMailbox(agentId);
    await Promise.all(
      broadcast.streams.map((stream) => this.redis.xgroup('DESTROY', stream, broadcast.group).catch(() => 0)),
    );
    await this.redis.hdel(this.keys.broadcastMembers(), agentId);
    await this.redis.del(
      broadcast.acked,
      broadcast.cursor,
      broadcast.dead,
      broadcast.deadIndex,
      broadcast.counters,
    );
    await this.redis.del(
      ...direct.streams,
      direct.ids,
      direct.acked,
      direct.cursor,
      direct.ackLog,
      direct.dead,
      direct.deadIndex,
      direct.counters,
    );
    await this.redis.srem(this.keys.agentRegistry(), agentId);
  }

  async readEntry(stream: string, entryId: string): Promise<string[] | null> {
    const found = (await this.redis.xrange(stream, entryId, entryId)) as StreamEntry[];
    return found.length > 0 ? found[0][1] : null;
  }

  async readLocation(mailbox: MailboxKeys, messageId: string): Promise<string | null> {
    return this.redis.hget(mailbox.ids, messageId);
  }

  async readAcked(mailbox: MailboxKeys, messageId: string): Promise<string | null> {
    return this.redis.hget(mailbox.acked, messageId);
  }

  /** Delivery count of an entry in a group's pending list (0 when it is not there). */
  async deliveryCount(stream: string, group: string, entryId: string): Promise<number> {
    const reply = (await this.redis.xpending(stream, group, entryId, entryId, 1).catch(() => [])) as [
      string,
      string,
      number,
      number,
    ][];
    return reply.length > 0 ? Number(reply[0][3]) : 0;
  }

  async newestDeadLetters(deadStream: string, count: number): Promise<StreamEntry[]> {
    return await this.redis.xrevrange(deadStream, '+', '-', 'COUNT', count);
  }

  /** One dead letter of the mailbox's recipient, found by message id through the index (no scan). */
  async readDeadLetter(mailbox: MailboxKeys, messageId: string): Promise<EntryFields | null> {
    const entryId = await this.redis.hget(mailbox.deadIndex, messageId);
    const flat = entryId ? await this.readEntry(mailbox.dead, entryId) : null;
    return flat ? fieldsOf(flat) : null;
  }

  async requeueOwn(agentId: string, messageId: string): Promise<RequeueOutcome> {
    const mailbox = this.keys.agentMailbox(agentId);
    const keys = this.requeueKeys(mailbox);
    return toRequeueOutcome(await runScript<RawRequeue>(this.redis, 'requeue', keys, [messageId, 'own']));
  }

  /** Makes a copy of a broadcast dead letter pending in the agent's direct mailbox (idempotent). */
  async requeueCopy(agentId: string, messageId: string, fields: EntryFields): Promise<RequeueOutcome> {
    const mailbox = this.keys.agentMailbox(agentId);
    const reply = await runScript<RawRequeue>(this.redis, 'requeue', this.requeueKeys(mailbox), [
      messageId,
      'copy',
      fields.f,
      fields.ty ?? '',
      fields.p,
      fields.ts,
      fields.pr,
    ]);
    return toRequeueOutcome(reply);
  }

  /** Removes a requeued broadcast dead letter of the mailbox's recipient (see drop-dead-letter.lua). */
  async dropBroadcastDeadLetter(mailbox: MailboxKeys, messageId: string): Promise<void> {
    const keys = [mailbox.dead, mailbox.deadIndex, mailbox.acked, mailbox.counters];
    await runScript<number>(this.redis, 'drop-dead-letter', keys, [messageId]);
  }

  private requeueKeys(mailbox: MailboxKeys): string[] {
    return [
      ...mailbox.streams,
      mailbox.ids,
      mailbox.acked,
      mailbox.dead,
      mailbox.counters,
      mailbox.deadIndex,
    ];
  }

  /** Trims one stream (see trim.lua); `recipients` are the mailboxes (one per recipient) that read it. */
  async trim(
    stream: string,
    ids: string,
    priorityIndex: number,
    recipients: MailboxKeys[],
    limits: { maxLength: number; olderThanId: string; batch: number },
  ): Promise<number> {
    const perRecipient = recipients.flatMap((mailbox) => [mailbox.acked, mailbox.cursor, mailbox.group]);
    return runScript<number>(
      this.redis,
      'trim',
      [stream, ids],
      [limits.maxLength, limits.olderThanId, limits.batch, priorityIndex, ...perRecipient],
    );
  }

  async streamLength(stream: string): Promise<number> {
    return this.redis.xlen(stream);
  }

  /** Number of entries a group holds without acknowledgement (its pending entries list). */
  async groupPendingCount(stream: string, group: string): Promise<number> {
    const summary = (await this.redis.xpending(stream, group).catch(() => [0])) as [number, ...unknown[]];
    return Number(summary[0] ?? 0);
  }

  async hashAll(key: string): Promise<Record<string, string>> {
    return this.redis.hgetall(key);
  }

  /** lag + pending of the archive group on a stream: entries not yet stored in Postgres. */
  async archiveBacklog(stream: string): Promise<number> {
    const groups = (await this.redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
    for (const group of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < group.length; i += 2) info.set(String(group[i]), group[i + 1]);
      if (info.get('name') !== 'archive') continue;
      const lag = info.get('lag');
      const pending = Number(info.get('pending') ?? 0);
      // lag is null when Redis cannot tell (after deletions); count the whole stream then, to err on the safe side.
      return pending + (lag === null || lag === undefined ? await this.redis.xlen(stream) : Number(lag));
    }
    return 0;
  }

  // ---- archive group -------------------------------------------------------------------------------------

  /** New entries for the archive (same slot: one call for all streams of a mailbox). */
  async readForArchive(
    streams: string[],
    consumer: string,
    count: number,
    ownPending = false,
  ): Promise<[string, StreamEntry[]][]> {
    try {
      // '0' re-reads what this consumer read before but did not acknowledge (after a failed insert); '>' reads new.
      const from = ownPending ? '0' : '>';
      const reply = (await this.redis.xreadgroup(
        'GROUP',
        'archive',
        consumer,
        'COUNT',
        count,
        'STREAMS',
        ...streams,
        ...streams.map(() => from),
      )) as [string, StreamEntry[]][] | null;
      return reply ?? [];
    } catch (error) {
      if (/NOGROUP/.test((error as Error).message)) {
        // A stream lost its group (deleted and re-created): give the archive group back to the streams that exist
        // (reading them from the start). Streams deleted for good (agent removed, data cleared) stay deleted.
        await Promise.all(
          streams.map((stream) => this.redis.xgroup('CREATE', stream, 'archive', '0').catch(() => 'skip')),
        );
        return [];
      }
      throw error;
    }
  }

  /** Takes over archive entries that another (crashed) replica read but never stored. */
  async claimStaleForArchive(
    stream: string,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): Promise<StreamEntry[]> {
    const reply = (await this.redis
      .xautoclaim(stream, 'archive', consumer, minIdleMs, '0-0', 'COUNT', count)
      .catch((error: Error) => {
        if (/NOGROUP/.test(error.message)) return ['0-0', []];
        throw error;
      })) as [string, StreamEntry[]];
    return (reply[1] ?? []).filter((entry) => entry && entry[1]);
  }

  async ackArchived(stream: string, entryIds: string[]): Promise<void> {
    if (entryIds.length > 0) await this.redis.xack(stream, 'archive', ...entryIds);
  }

  /** Acknowledged ack-log entries are needed by nobody else: delete them. */
  async deleteAckLogEntries(stream: string, entryIds: string[]): Promise<void> {
    if (entryIds.length === 0) return;
    await this.redis.xack(stream, 'archive', ...entryIds);
    await this.redis.xdel(stream, ...entryIds);
  }

  /**
   * Deletes consumers of a group that have been idle for `idleMs` and hold nothing (their leases were reclaimed),
   * so crashed replicas' consumers do not accumulate. Returns how many went.
   */
  async pruneIdleConsumers(stream: string, group: string, idleMs: number): Promise<number> {
    const consumers = (await this.redis.xinfo('CONSUMERS', stream, group).catch(() => [])) as unknown[][];
    let pruned = 0;
    for (const consumer of consumers) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < consumer.length; i += 2) info.set(String(consumer[i]), consumer[i + 1]);
      if (Number(info.get('pending')) === 0 && Number(info.get('idle')) >= idleMs) {
        await this.redis.xgroup('DELCONSUMER', stream, group, String(info.get('name')));
        pruned += 1;
      }
    }
    return pruned;
  }

  // ---- everything ----------------------------------------------------------------------------------------

  /** Deletes every key under Brain's prefix, found with SCAN on every master (never KEYS). */
  async deleteEverything(): Promise<number> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', this.keys.everything(), 'COUNT', 1000);
        cursor = next;
        // One UNLINK per key: keys of different slots may not share a command on a Cluster.
        const results = await Promise.all(keys.map((key) => node.unlink(key)));
        deleted += results.reduce((sum, n) => sum + n, 0);
      } while (cursor !== '0');
    }
    return deleted;
  }
}
