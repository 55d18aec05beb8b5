import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys } from '../infrastructure/redis/keys';
import { PRIORITIES } from '../common/ids';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { Mailbox } from './mailbox-address';
import { MailboxCounters } from './mailbox.replies';
import { COUNTER_FIELDS, CURSOR_FIELDS } from './redis-schema';

/** Reads of the counters the Lua scripts keep: a handful of small hash reads, whatever the size of the streams. */
@Injectable()
export class MailboxCountersRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async readCounters(mailbox: Mailbox): Promise<MailboxCounters> {
    const keys = this.keys.mailbox(mailbox);
    const [stats, cursor, counters, held] = await Promise.all([
      this.redis.hgetall(keys.stats),
      this.redis.hgetall(keys.cursor),
      this.redis.hgetall(keys.counters),
      Promise.all(keys.streams.map((stream) => this.groupPendingCount(stream, keys.group))),
    ]);
    const perPriority = (hash: Record<string, string>, field: (p: number) => string) =>
      PRIORITIES.map((_, p) => Number(hash[field(p)] ?? 0));
    return {
      added: perPriority(stats, COUNTER_FIELDS.added),
      read: perPriority(cursor, CURSOR_FIELDS.read),
      held,
      early: Number(cursor[CURSOR_FIELDS.early] ?? 0),
      earlyByPriority: perPriority(cursor, CURSOR_FIELDS.earlyAt),
      acked: Number(counters[COUNTER_FIELDS.acked] ?? 0),
      dead: Number(counters[COUNTER_FIELDS.dead] ?? 0),
    };
  }

  /**
   * Counters that only grow: acknowledgements the recipient recorded, and entries ever appended to the mailbox's own
   * streams (a direct mailbox's; 0 for a broadcast member, see broadcastsAppended). One hash read.
   */
  async totals(mailbox: Mailbox): Promise<{ acked: number; appended: number }> {
    const counters = await this.redis.hgetall(this.keys.mailbox(mailbox).counters);
    return { acked: Number(counters[COUNTER_FIELDS.acked] ?? 0), appended: addedOf(counters) };
  }

  /** Broadcasts ever appended (each once, whatever the number of members). */
  async broadcastsAppended(): Promise<number> {
    return addedOf(await this.redis.hgetall(this.keys.broadcastStats()));
  }

  /** Number of entries a group holds without acknowledgement (its pending entries list). */
  private async groupPendingCount(stream: string, group: string): Promise<number> {
    const summary = (await this.redis.xpending(stream, group).catch(() => [0])) as [number, ...unknown[]];
    return Number(summary[0] ?? 0);
  }
}

function addedOf(stats: Record<string, string>): number {
  return PRIORITIES.reduce((total, _, p) => total + Number(stats[COUNTER_FIELDS.added(p)] ?? 0), 0);
}
