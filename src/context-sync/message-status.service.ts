import { Injectable } from '@nestjs/common';
import { InvalidRequestError, MessageNotFoundError } from '../common/errors';
import { MemoryService } from '../memory/memory.service';
import { AgentRegistryRepository } from './agent-registry.repository';
import { BROADCAST, MessageStatus, MessageWithStatus } from './context-message';
import { UUID } from './context-sync.rules';
import { directMailbox, Mailbox, mailboxOf } from './mailbox-address';
import { AckedState } from './mailbox.replies';
import { MailboxRepository } from './mailbox.repository';
import { compareEntryIds, priorityIndex } from './message-codec';
import { DEAD_LETTER_FIELDS } from './redis-schema';
import { DelayedDeliveryService, toDelayedContextMessage } from './delayed-delivery.service';
import { DelayedPublish } from './delayed.repository';

/**
 * A recipient's state of one message; 'gone' once retention trimmed it unresolved, 'expired' once past its TTL
 * unacknowledged (neither is deliverable any more).
 */
type RecipientState = 'acknowledged' | 'pending' | 'dead' | 'gone' | 'expired';

/** Lookups by message id: the message, its recipients and each recipient's state, live or from the archive. */
@Injectable()
export class MessageStatusService {
  constructor(
    private readonly mailboxes: MailboxRepository,
    private readonly agents: AgentRegistryRepository,
    private readonly memory: MemoryService,
    private readonly delayed: DelayedDeliveryService,
  ) {}

  /** A delayed message before it is due: pending for nobody yet; its recipients may already look it up. */
  private async notDueYet(delayed: DelayedPublish): Promise<MessageWithStatus> {
    const recipients =
      delayed.to === BROADCAST
        ? [...(await this.agents.broadcastMembers()).keys()]
            .filter((agentId) => agentId !== delayed.from)
            .sort()
        : [delayed.to];
    return {
      message: toDelayedContextMessage(delayed),
      recipients,
      status: {
        acknowledged: false,
        acknowledgedBy: [],
        pendingFor: [],
        deadLetteredFor: [],
        expired: false,
      },
    };
  }

  /**
   * The message, its recipients, and each recipient's state. Falls back to the Postgres archive after retention:
   * a message trimmed from Redis is no longer deliverable, so it is pending for nobody (its dead letters stay).
   */
  async getMessage(messageId: string): Promise<MessageWithStatus> {
    if (!UUID.test(messageId)) throw new InvalidRequestError('messageId must be a lowercase uuid');
    const claim = await this.mailboxes.readOwner(messageId);
    if (claim) {
      const [sender, target] = claim.split(' ');
      const live = await this.liveMessage(messageId, sender, target);
      if (live) return live;
      const delayed = await this.delayed.find(messageId);
      if (delayed) return this.notDueYet(delayed);
    }
    const archived = await this.memory.findArchivedMessage(messageId);
    if (!archived) throw new MessageNotFoundError(messageId);
    const { message, acks } = archived;
    if (!claim) {
      // The id's claim expires an hour after the retention; an entry the hourly job has not trimmed yet is still live.
      const live = await this.liveMessage(messageId, message.fromAgent, message.toAgent);
      if (live) return live;
    }
    const acknowledgedBy = acks.map((ack) => ack.agentId).sort();
    const candidates =
      message.toAgent === BROADCAST
        ? [...(await this.agents.broadcastMembers()).keys()].filter(
            (agentId) => agentId !== message.fromAgent,
          )
        : [message.toAgent];
    // Trimmed from Redis: a recipient has acknowledged it (archive, or an ack not archived yet), has it dead, has it
    // pending as a requeued copy in its direct mailbox, or it is gone for it.
    const inRedis = await Promise.all(
      candidates.map((agentId) => this.recipientState(messageId, message.toAgent, agentId, false)),
    );
    const stateOf = (agentId: string): RecipientState =>
      acknowledgedBy.includes(agentId) ? 'acknowledged' : (inRedis[candidates.indexOf(agentId)] ?? 'gone');
    const recipients =
      message.toAgent === BROADCAST
        ? [
            ...new Set([...acknowledgedBy, ...candidates.filter((agentId) => stateOf(agentId) !== 'gone')]),
          ].sort()
        : candidates;
    const status = toStatus(recipients, recipients.map(stateOf));
    return {
      // The archive keeps no TTL: an archived-only message is past the retention, so past any TTL it had.
      message: {
        ...message,
        timestamp: message.createdAt.toISOString(),
        deliveryCount: 0,
        inReplyTo: message.inReplyTo ?? null,
        expiresAt: null,
        deliverAt: null,
        routedBy: message.routedBy ?? null,
      },
      recipients,
      // A broadcast nobody is known to have received is not "acknowledged by every recipient".
      status: { ...status, acknowledged: status.acknowledged && recipients.length > 0 },
    };
  }

  async isAcknowledged(messageId: string): Promise<boolean> {
    return (await this.getMessage(messageId)).status.acknowledged;
  }

  private async liveMessage(
    messageId: string,
    sender: string,
    target: string,
  ): Promise<MessageWithStatus | undefined> {
    const mailbox = mailboxOf(target, sender);
    const location = await this.mailboxes.readLocation(mailbox, messageId);
    if (!location) return undefined;
    const message = await this.mailboxes.readMessage(mailbox, target, location);
    if (!message) return undefined;
    let recipients: string[];
    if (target === BROADCAST) {
      const members = await this.agents.broadcastMembers();
      const p = priorityIndex(location.priority);
      recipients = [...members.entries()]
        .filter(([agentId, joined]) => agentId !== sender && compareEntryIds(joined[p], location.entryId) < 0)
        .map(([agentId]) => agentId)
        .sort();
    } else {
      recipients = [target];
    }
    // Past its TTL it is pending for nobody, whether or not each recipient's next read has settled it yet.
    const expired = message.expiresAt !== null && Date.parse(message.expiresAt) <= Date.now();
    const states = (
      await Promise.all(recipients.map((agentId) => this.recipientState(messageId, target, agentId, true)))
    ).map((state) => (expired && state === 'pending' ? 'expired' : state));
    if (target !== BROADCAST) {
      // A dead letter left the group's pending list: its count is kept on the dead letter.
      const dead = states[0] === 'dead' ? await this.mailboxes.readDeadLetter(mailbox, messageId) : null;
      message.deliveryCount = dead
        ? Number(dead[DEAD_LETTER_FIELDS.deliveryCount])
        : await this.mailboxes.deliveryCount(mailbox, location);
    }
    return { message, recipients, status: { ...toStatus(recipients, states), expired } };
  }

  /**
   * One recipient's state of a message; `inStream` says whether its stream entry is still there (deliverable). A
   * broadcast requeued from the dead letters lives on as a copy in the recipient's direct mailbox: read it there
   * (after retention trimmed the original, with its 'requeued' mark, only that copy tells).
   */
  private async recipientState(
    messageId: string,
    target: string,
    agentId: string,
    inStream: boolean,
  ): Promise<RecipientState> {
    const mailbox = mailboxOf(target, agentId);
    const acked = await this.mailboxes.readAcked(mailbox, messageId);
    if (target === BROADCAST && (acked === 'requeued' || (acked === null && !inStream))) {
      const direct = directMailbox(agentId);
      if ((await this.mailboxes.readLocation(direct, messageId)) !== null)
        return this.stateIn(direct, messageId, await this.mailboxes.readAcked(direct, messageId), true);
      if (acked === 'requeued') return 'gone';
    }
    return this.stateIn(mailbox, messageId, acked, inStream);
  }

  private async stateIn(
    mailbox: Mailbox,
    messageId: string,
    acked: AckedState | null,
    deliverable: boolean,
  ): Promise<RecipientState> {
    if (acked === 'acknowledged') return 'acknowledged';
    if (acked === 'dead') return 'dead';
    if (acked === 'expired') return 'expired';
    if (deliverable) return 'pending';
    // Trimmed: the acked state went with the entry, but a dead letter outlives it.
    return (await this.mailboxes.readDeadLetter(mailbox, messageId)) !== null ? 'dead' : 'gone';
  }
}

function toStatus(recipients: string[], states: RecipientState[]): MessageStatus {
  const having = (state: RecipientState) => recipients.filter((_, i) => states[i] === state);
  const acknowledgedBy = having('acknowledged');
  return {
    acknowledged: acknowledgedBy.length === recipients.length,
    acknowledgedBy,
    pendingFor: having('pending'),
    deadLetteredFor: having('dead'),
    expired: false,
  };
}
