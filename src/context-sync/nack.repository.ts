import { Inject, Injectable } from '@nestjs/common';
import { RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { Mailbox } from './mailbox-address';
import { defineMailboxScripts, runScript } from './mailbox.scripts';

/** What nack.lua answers. */
export enum NackStatus {
  Requeued = 1,
  DeadLettered = 2,
  NotFound = -1,
  NotRecipient = -2,
  Acknowledged = -3,
  LeasedByAnother = -4,
}

export interface NackCommand {
  consumer: string | undefined;
  requeue: boolean;
  delayMs: number;
  detail: string;
  visibilityMs: number;
  nowMs: number;
}

/** The nack script on one mailbox (see lua/nack.lua); keys are built here, as in MailboxRepository. */
@Injectable()
export class NackRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    defineMailboxScripts(redis);
  }

  /** The outcome, and whether this call moved it to the dead letters (not an earlier one). */
  async nack(
    mailbox: Mailbox,
    messageId: string,
    command: NackCommand,
  ): Promise<{ status: NackStatus; buriedNow: boolean }> {
    const keys = this.keys.mailbox(mailbox);
    const scriptKeys = [
      ...keys.streams,
      keys.ids,
      keys.acked,
      keys.cursor,
      keys.dead,
      keys.counters,
      keys.deadIndex,
      keys.gate,
    ];
    const [status, deliveries] = await runScript<[NackStatus, number]>(this.redis, 'nack', scriptKeys, [
      keys.group,
      mailbox.agentId,
      command.consumer ?? '',
      command.requeue ? 'requeue' : 'reject',
      command.delayMs,
      command.visibilityMs,
      command.nowMs,
      command.detail,
      mailbox.kind,
      this.keys.wakeChannel(keys),
      messageId,
    ]);
    return { status, buriedNow: status === NackStatus.DeadLettered && deliveries >= 0 };
  }
}
