import { optionalEntryFields } from './message-codec';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BROADCAST, ContextMessage } from './context-message';
import { Mailbox, mailboxOf } from './mailbox-address';
import { PublishStatus } from './mailbox.replies';
import { MailboxRepository } from './mailbox.repository';
import { DelayedPublish, DelayedRepository } from './delayed.repository';

/** How often each replica looks for due messages: a due message is delivered within about this much. */
export const DELAYED_TICK_MS = 50;
/** A replica that took due messages has this long to publish them before another replica takes them again. */
const CLAIM_LEASE_MS = 5000;
const CLAIM_BATCH = 500;

/**
 * Delayed delivery (`delayMs`). A delayed message waits in its own slot (DelayedRepository), not in the mailbox:
 * nothing can peek, lease or push it early. Every replica looks every DELAYED_TICK_MS for due messages, leases
 * them (so replicas do not all do the same work), publishes each with the same publish script as a plain message
 * — idempotent on the message id, so one taken twice (a replica died, a lease ran out) is still appended once —
 * and that script wakes the long polls. The queue lives in Redis: delays survive a restart of every replica.
 */
@Injectable()
export class DelayedDeliveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DelayedDelivery');
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError = '';

  constructor(
    private readonly delayed: DelayedRepository,
    private readonly mailboxes: MailboxRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Keeps the message until due; `created` is false if the id was scheduled before (the stored one returns). */
  async keep(message: DelayedPublish): Promise<{ created: boolean; message: DelayedPublish }> {
    const earlier = await this.delayed.schedule(message);
    return earlier ? { created: false, message: earlier } : { created: true, message };
  }

  /** Wakes the long polls of the mailbox at `atMs`: a nack's requeue becomes available then, without a publish. */
  async wakeAt(mailbox: Mailbox, atMs: number, messageId: string): Promise<void> {
    const to = mailbox.kind === 'broadcast' ? BROADCAST : mailbox.agentId;
    await this.delayed.schedule({
      id: `wake:${mailbox.kind}:${mailbox.agentId}:${messageId}:${atMs}`,
      from: mailbox.agentId,
      to,
      type: '',
      payload: '{}',
      timestampMs: atMs,
      priority: 'medium',
      deliverAtMs: atMs,
      wakeOnly: true,
    });
  }

  /** A message scheduled and not due yet, or null. */
  find(messageId: string): Promise<DelayedPublish | null> {
    return this.delayed.find(messageId);
  }

  /** Publishes the messages due now (up to a batch); returns how many this call appended. */
  async deliverDue(nowMs = Date.now()): Promise<number> {
    return (await this.deliverBatch(nowMs)).appended;
  }

  private async deliverBatch(nowMs: number): Promise<{ claimed: number; appended: number }> {
    const due = await this.delayed.claimDue(nowMs, CLAIM_LEASE_MS, CLAIM_BATCH);
    let appended = 0;
    for (const message of due) {
      if (message.wakeOnly) {
        await this.mailboxes.wake(mailboxOf(message.to, message.from));
        continue;
      }
      const outcome = await this.mailboxes.publish(mailboxOf(message.to, message.from), {
        ...message,
        optional: optionalEntryFields(message),
      });
      if (outcome.status === PublishStatus.Appended) appended += 1;
      if (outcome.status === PublishStatus.NoRecipient)
        this.logger.warn(
          `delayed message ${message.id} dropped: agent '${message.to}' is no longer registered`,
        );
    }
    await this.delayed.done(due.map((message) => message.id));
    return { claimed: due.length, appended };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), DELAYED_TICK_MS);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      // A full batch: more may be due already.
      while ((await this.deliverBatch(Date.now())).claimed >= CLAIM_BATCH && !this.stopped);
      this.lastError = '';
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastError) this.logger.warn(`cannot deliver delayed messages now (${message})`);
      this.lastError = message;
    }
    this.schedule();
  }
}

/** A delayed message as agents see it while it waits: not delivered yet. */
export function toDelayedContextMessage(message: DelayedPublish): ContextMessage {
  return {
    id: message.id,
    fromAgent: message.from,
    toAgent: message.to,
    timestamp: new Date(message.timestampMs).toISOString(),
    payload: JSON.parse(message.payload) as Record<string, unknown>,
    priority: message.priority,
    type: message.type ? message.type : null,
    deliveryCount: 0,
    inReplyTo: message.inReplyTo ?? null,
    expiresAt: message.expiresAtMs === undefined ? null : new Date(message.expiresAtMs).toISOString(),
    deliverAt: new Date(message.deliverAtMs).toISOString(),
    routedBy: message.routedBy ?? null,
  };
}
