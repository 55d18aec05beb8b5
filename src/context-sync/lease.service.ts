import { Inject, Injectable } from '@nestjs/common';
import {
  AgentNotFoundError,
  InvalidRequestError,
  LeaseHeldByOtherError,
  LeaseNotHeldError,
  MessageNotFoundError,
} from '../common/errors';
import { CONSUMER_PATTERN } from '../common/ids';
import { MAX_LEASE_EXTENSION_MS } from '../common/limits';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { LeaseExtension } from './context-message';
import { checkAgentId, UUID } from './context-sync.rules';
import { ExtendOutcome, ExtendStatus, LeaseRepository } from './lease.repository';
import { broadcastMailbox, directMailbox } from './mailbox-address';
import { MailboxRepository } from './mailbox.repository';

/**
 * Lease extension: a consumer working long on a message (an LLM call outliving BRAIN_VISIBILITY_TIMEOUT_MS) keeps
 * it from the agent's other consumers until the time it asks for. Not acknowledged by then, it is handed out again.
 */
@Injectable()
export class LeaseService {
  constructor(
    private readonly leases: LeaseRepository,
    private readonly mailboxes: MailboxRepository,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  async extendLease(
    messageId: string,
    agentId: string,
    consumer: string,
    extendMs: number,
  ): Promise<LeaseExtension> {
    checkAgentId(agentId, 'agentId');
    if (!UUID.test(messageId)) throw new InvalidRequestError('messageId must be a lowercase uuid');
    if (typeof consumer !== 'string' || !CONSUMER_PATTERN.test(consumer))
      throw new InvalidRequestError(`consumer must match ${CONSUMER_PATTERN.source}`);
    if (!Number.isInteger(extendMs) || extendMs < 1 || extendMs > MAX_LEASE_EXTENSION_MS)
      throw new InvalidRequestError(`extendMs must be an integer from 1 to ${MAX_LEASE_EXTENSION_MS}`);
    if (!(await this.mailboxes.agentExists(agentId))) throw new AgentNotFoundError(agentId);

    const lease = {
      messageId,
      consumer,
      nowMs: Date.now(),
      extendMs,
      visibilityMs: this.config.messages.visibilityTimeoutMs,
    };
    // A message id lives in one slot: the agent's direct mailbox, else the broadcast one.
    let outcome: ExtendOutcome = await this.leases.extend(directMailbox(agentId), lease);
    if (outcome.status === ExtendStatus.NoSuchMessage)
      outcome = await this.leases.extend(broadcastMailbox(agentId), lease);
    switch (outcome.status) {
      case ExtendStatus.Extended:
        return { id: messageId, consumer, leasedUntil: new Date(outcome.untilMs).toISOString() };
      case ExtendStatus.HeldByOther:
        throw new LeaseHeldByOtherError(messageId, consumer, agentId);
      case ExtendStatus.NotHeld:
        throw new LeaseNotHeldError(messageId, consumer, agentId);
      default:
        throw new MessageNotFoundError(messageId);
    }
  }
}
