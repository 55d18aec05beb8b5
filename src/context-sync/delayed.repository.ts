import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { Priority } from './context-message';
import { defineMailboxScripts, runScript } from './mailbox.scripts';

/** A publish kept until it is due; `to` is the target agent or BROADCAST. */
export interface DelayedPublish {
  id: string;
  from: string;
  to: string;
  type: string;
  /** The payload's JSON, as publish stores it. */
  payload: string;
  timestampMs: number;
  priority: Priority;
  deliverAtMs: number;
  /** The v1.1 options the message was published with (absent on a nack's wake-up). */
  inReplyTo?: string | null;
  routedBy?: string | null;
  expiresAtMs?: number;
  /** Not a message: when due, only wake the long polls of mailbox `to` as `from` sees it (a nack's delayed requeue). */
  wakeOnly?: boolean;
}

/**
 * The delayed messages, in one slot of their own (`{delayed}`): a queue by due time and the publish each one
 * makes when due. Nothing of a mailbox changes before then.
 */
@Injectable()
export class DelayedRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    defineMailboxScripts(redis);
  }

  /** Keeps it until due; if the id was scheduled before, returns that one instead (nothing changes). */
  async schedule(message: DelayedPublish): Promise<DelayedPublish | null> {
    const [status, earlier] = await runScript<[number, string?]>(
      this.redis,
      'delay-schedule',
      this.queueKeys(),
      [message.id, message.deliverAtMs, JSON.stringify(message)],
    );
    return status === 1 ? null : (JSON.parse(earlier!) as DelayedPublish);
  }

  /** Leases up to `max` due messages to this caller for `leaseMs`. */
  async claimDue(nowMs: number, leaseMs: number, max: number): Promise<DelayedPublish[]> {
    const flat = await runScript<string[]>(this.redis, 'delay-claim', this.queueKeys(), [
      nowMs,
      leaseMs,
      max,
    ]);
    const due: DelayedPublish[] = [];
    for (let i = 1; i < flat.length; i += 2) due.push(JSON.parse(flat[i]) as DelayedPublish);
    return due;
  }

  /** Forgets messages that are published now. */
  async done(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis
      .multi()
      .zrem(this.keys.delayedQueue(), ...ids)
      .hdel(this.keys.delayedItems(), ...ids)
      .exec();
  }

  async find(id: string): Promise<DelayedPublish | null> {
    const item = await this.redis.hget(this.keys.delayedItems(), id);
    return item === null ? null : (JSON.parse(item) as DelayedPublish);
  }

  private queueKeys(): string[] {
    return [this.keys.delayedQueue(), this.keys.delayedItems()];
  }
}
