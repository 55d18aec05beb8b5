import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { Mailbox } from './mailbox-address';
import { defineMailboxScripts, runScript } from './mailbox.scripts';

/** What extend-lease.lua answers. */
export enum ExtendStatus {
  Extended = 1,
  NoSuchMessage = -1,
  HeldByOther = -2,
  NotHeld = -3,
}

export type ExtendOutcome =
  | { status: ExtendStatus.Extended; untilMs: number }
  | { status: Exclude<ExtendStatus, ExtendStatus.Extended> };

/** The lease records of the recipients' consumer groups (see extend-lease.lua and fetch.lua). */
@Injectable()
export class LeaseRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    defineMailboxScripts(redis);
  }

  async extend(
    mailbox: Mailbox,
    lease: { messageId: string; consumer: string; nowMs: number; extendMs: number; visibilityMs: number },
  ): Promise<ExtendOutcome> {
    const keys = this.keys.mailbox(mailbox);
    const [status, untilMs] = await runScript<[ExtendStatus, number?]>(
      this.redis,
      'extend-lease',
      [...keys.streams, keys.ids, keys.acked, keys.leases],
      [keys.group, lease.consumer, lease.messageId, lease.nowMs, lease.extendMs, lease.visibilityMs],
    );
    return status === ExtendStatus.Extended ? { status, untilMs: Number(untilMs) } : { status };
  }
}
