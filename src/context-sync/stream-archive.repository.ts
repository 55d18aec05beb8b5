import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { BROADCAST } from './context-message';
import { directMailbox, Mailbox, StreamOwner } from './mailbox-address';
import { ArchiveBatch } from './mailbox.replies';
import { defineMailboxScripts, runScript } from './mailbox.scripts';
import { fieldsOf, priorityAt } from './message-codec';
import { ACK_LOG_FIELDS, GROUPS } from './redis-schema';

type StreamEntry = [string, string[]];

export interface AckLogEntry {
  entryId: string;
  messageId: string;
  agentId: string;
  acknowledgedAt: Date;
}

export interface TrimLimits {
  maxLength: number;
  olderThanId: string;
  batch: number;
}

/**
 * Redis commands on the streams as a whole: the archive group's reads and acks, trims, lengths, idle consumers.
 * Streams are named by their owner (an agent id, or BROADCAST) and priority. No rules.
 */
@Injectable()
export class StreamArchiveRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    defineMailboxScripts(redis);
  }

  /** New entries for the archive, per priority (same slot: one call for all streams of an owner). */
  async readForArchive(
    owner: StreamOwner,
    consumer: string,
    count: number,
    ownPending = false,
  ): Promise<ArchiveBatch[]> {
    const streams = this.streamsOf(owner);
    const read = await this.readGroup(streams, consumer, count, ownPending);
    return read.map(([stream, entries]) => ({
      priority: priorityAt(streams.indexOf(stream)),
      entries: entries.map(([streamId, flat]) => ({ streamId, fields: fieldsOf(flat) })),
    }));
  }

  /** Takes over archive entries of one stream that another (crashed) replica read but never stored. */
  async claimStaleForArchive(
    owner: StreamOwner,
    priorityIndex: number,
    consumer: string,
    minIdleMs: number,
    count: number,
  ): Promise<ArchiveBatch['entries']> {
    const stream = this.streamsOf(owner)[priorityIndex];
    const reply = (await this.redis
      .xautoclaim(stream, GROUPS.archive, consumer, minIdleMs, '0-0', 'COUNT', count)
      .catch((error: Error) => {
        if (/NOGROUP/.test(error.message)) return ['0-0', []];
        throw error;
      })) as [string, StreamEntry[]];
    return (reply[1] ?? [])
      .filter((entry) => entry && entry[1])
      .map(([streamId, flat]) => ({ streamId, fields: fieldsOf(flat) }));
  }

  async ackArchived(owner: StreamOwner, priorityIndex: number, entryIds: string[]): Promise<void> {
    if (entryIds.length > 0)
      await this.redis.xack(this.streamsOf(owner)[priorityIndex], GROUPS.archive, ...entryIds);
  }

  async readAckLog(
    owner: StreamOwner,
    consumer: string,
    count: number,
    ownPending: boolean,
  ): Promise<AckLogEntry[]> {
    // No group on the ack log means no ack log yet: ack.lua creates both with the first ack.
    const read = await this.readGroup([this.ackLogOf(owner)], consumer, count, ownPending, false);
    return read
      .flatMap(([, entries]) => entries)
      .map(([entryId, flat]) => {
        const fields = fieldsOf(flat);
        return {
          entryId,
          messageId: fields[ACK_LOG_FIELDS.messageId],
          agentId: fields[ACK_LOG_FIELDS.agentId],
          acknowledgedAt: new Date(Number(fields[ACK_LOG_FIELDS.atMs])),
        };
      });
  }

  /** Archived ack-log entries are needed by nobody else: delete them. */
  async deleteAckLogEntries(owner: StreamOwner, entryIds: string[]): Promise<void> {
    if (entryIds.length === 0) return;
    const ackLog = this.ackLogOf(owner);
    await this.redis.xack(ackLog, GROUPS.archive, ...entryIds);
    await this.redis.xdel(ackLog, ...entryIds);
  }

  /**
   * lag + pending of the archive group on the owner's streams, and its ack log's length (archived entries are
   * deleted from it): messages and acknowledgements not yet stored in Postgres.
   */
  async archiveBacklog(owner: StreamOwner): Promise<number> {
    const backlogs = await Promise.all([
      ...this.streamsOf(owner).map((stream) => this.streamBacklog(stream)),
      this.redis.xlen(this.ackLogOf(owner)),
    ]);
    return backlogs.reduce((total, n) => total + n, 0);
  }

  async streamLength(owner: StreamOwner, priorityIndex: number): Promise<number> {
    return this.redis.xlen(this.streamsOf(owner)[priorityIndex]);
  }

  /** Entries in all the owner's streams. */
  async totalLength(owner: StreamOwner): Promise<number> {
    const lengths = await Promise.all(this.streamsOf(owner).map((stream) => this.redis.xlen(stream)));
    return lengths.reduce((total, n) => total + n, 0);
  }

  /** Trims one stream (see trim.lua); `recipients` are the mailboxes (one per recipient) that read it. */
  async trim(
    owner: StreamOwner,
    priorityIndex: number,
    recipients: Mailbox[],
    limits: TrimLimits,
  ): Promise<number> {
    const perRecipient = recipients
      .map((mailbox) => this.keys.mailbox(mailbox))
      .flatMap((mailbox) => [mailbox.acked, mailbox.cursor, mailbox.group]);
    return runScript<number>(
      this.redis,
      'trim',
      [this.streamsOf(owner)[priorityIndex], this.idsOf(owner)],
      [limits.maxLength, limits.olderThanId, limits.batch, priorityIndex, GROUPS.archive, ...perRecipient],
    );
  }

  /**
   * Deletes consumers of the recipient's group that have been idle for `idleMs` and hold nothing (their leases were
   * reclaimed), so crashed replicas' consumers do not accumulate.
   */
  async pruneIdleConsumers(mailbox: Mailbox, idleMs: number): Promise<void> {
    const keys = this.keys.mailbox(mailbox);
    for (const stream of keys.streams) await this.pruneGroup(stream, keys.group, idleMs);
  }

  /** The same for the archive group's consumers on an agent's streams. */
  async pruneIdleArchiveConsumers(agentId: string, idleMs: number): Promise<void> {
    for (const stream of this.keys.mailbox(directMailbox(agentId)).streams)
      await this.pruneGroup(stream, GROUPS.archive, idleMs);
  }

  private async pruneGroup(stream: string, group: string, idleMs: number): Promise<void> {
    const consumers = (await this.redis.xinfo('CONSUMERS', stream, group).catch(() => [])) as unknown[][];
    for (const consumer of consumers) {
      const info = toMap(consumer);
      if (Number(info.get('pending')) === 0 && Number(info.get('idle')) >= idleMs) {
        await this.redis.xgroup('DELCONSUMER', stream, group, String(info.get('name')));
      }
    }
  }

  private async readGroup(
    streams: string[],
    consumer: string,
    count: number,
    ownPending: boolean,
    recreateGroup = true,
  ): Promise<[string, StreamEntry[]][]> {
    try {
      // '0' re-reads what this consumer read before but did not acknowledge (after a failed insert); '>' reads new.
      const from = ownPending ? '0' : '>';
      const reply = (await this.redis.xreadgroup(
        'GROUP',
        GROUPS.archive,
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
        if (!recreateGroup) return [];
        // A stream lost its group (deleted and re-created): give the archive group back to the streams that exist
        // (reading them from the start). Streams deleted for good (agent removed, data cleared) stay deleted.
        await Promise.all(
          streams.map((stream) =>
            this.redis.xgroup('CREATE', stream, GROUPS.archive, '0').catch(() => 'skip'),
          ),
        );
        return [];
      }
      throw error;
    }
  }

  private async streamBacklog(stream: string): Promise<number> {
    const groups = (await this.redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
    for (const group of groups) {
      const info = toMap(group);
      if (info.get('name') !== GROUPS.archive) continue;
      const lag = info.get('lag');
      const pending = Number(info.get('pending') ?? 0);
      // lag is null when Redis cannot tell (after deletions); count the whole stream then, to err on the safe side.
      return pending + (lag === null || lag === undefined ? await this.redis.xlen(stream) : Number(lag));
    }
    return 0;
  }

  private streamsOf(owner: StreamOwner): string[] {
    return owner === BROADCAST ? this.keys.broadcastStreams() : this.keys.agentMailbox(owner).streams;
  }

  private ackLogOf(owner: StreamOwner): string {
    return owner === BROADCAST ? this.keys.broadcastAckLog() : this.keys.agentMailbox(owner).ackLog;
  }

  private idsOf(owner: StreamOwner): string {
    return owner === BROADCAST ? this.keys.broadcastIds() : this.keys.agentMailbox(owner).ids;
  }
}

/** XINFO replies are flat [name, value, ...] lists. */
function toMap(flat: unknown[]): Map<string, unknown> {
  const info = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), flat[i + 1]);
  return info;
}
