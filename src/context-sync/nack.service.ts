import { Inject, Injectable } from '@nestjs/common';
import {
  AcknowledgedBeforeError,
  InvalidRequestError,
  LeasedByAnotherError,
  MessageNotFoundError,
  NotRecipientError,
} from '../common/errors';
import { CONSUMER_PATTERN } from '../common/ids';
import { isSafeText, SAFE_TEXT_RULE } from '../common/json-input';
import { MAX_NACK_DELAY_MS, MAX_NACK_REASON_LENGTH } from '../common/limits';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { NackOptions, NackResult } from './context-message';
import { ContextSyncMetrics } from './context-sync.metrics';
import { checkAgentId, UUID } from './context-sync.rules';
import { broadcastMailbox, directMailbox } from './mailbox-address';
import { NackCommand, NackRepository, NackStatus } from './nack.repository';
import { DelayedDeliveryService } from './delayed-delivery.service';

/** Contract "Consumers": requeue (default) or dead-letter now; `delayMs` postpones a requeue. */
/**
 * Nack: a recipient gives a message back. Requeue ends the lease now or after `delayMs` (the delivery count is
 * kept, so it still counts toward BRAIN_MAX_DELIVERIES); reject moves it to the agent's dead letters, reason
 * `rejected`. A message never leased (peek mode) is pending already: requeueing it changes nothing.
 */
@Injectable()
export class NackService {
  constructor(
    private readonly nacks: NackRepository,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    private readonly syncMetrics: ContextSyncMetrics,
    private readonly delayed: DelayedDeliveryService,
  ) {}

  async nack(messageId: string, agentId: string, options: NackOptions = {}): Promise<NackResult> {
    checkAgentId(agentId, 'agentId');
    if (!UUID.test(messageId)) throw new InvalidRequestError('messageId must be a lowercase uuid');
    const command = this.commandOf(options);
    const { status, buriedNow, mailbox } = await this.syncMetrics.time('nack', async () => {
      const direct = await this.nacks.nack(directMailbox(agentId), messageId, command);
      if (direct.status !== NackStatus.NotFound) return { ...direct, mailbox: directMailbox(agentId) };
      const broadcast = await this.nacks.nack(broadcastMailbox(agentId), messageId, command);
      return { ...broadcast, mailbox: broadcastMailbox(agentId) };
    });
    switch (status) {
      case NackStatus.Requeued:
        // Available again later without a publish: the scheduler wakes the agent's long polls then.
        if (command.requeue && command.delayMs > 0)
          await this.delayed.wakeAt(mailbox, command.nowMs + command.delayMs, messageId);
        return { id: messageId, agentId, outcome: 'requeued' };
      case NackStatus.DeadLettered:
        if (buriedNow) this.syncMetrics.count(agentId, 'dead_lettered');
        return { id: messageId, agentId, outcome: 'dead_lettered' };
      case NackStatus.NotRecipient:
        throw new NotRecipientError(messageId, agentId);
      case NackStatus.Acknowledged:
        throw new AcknowledgedBeforeError(messageId, agentId);
      case NackStatus.LeasedByAnother:
        throw new LeasedByAnotherError(messageId, agentId);
      default:
        throw new MessageNotFoundError(messageId);
    }
  }

  /** The design note's name: dead-letters the message for the agent now, with `reason` as its detail. */
  async moveToDeadLetter(messageId: string, agentId: string, reason?: string): Promise<NackResult> {
    return this.nack(messageId, agentId, { requeue: false, reason });
  }

  private commandOf(options: NackOptions): NackCommand {
    const { consumer, reason, requeue = true, delayMs = 0 } = options;
    if (consumer !== undefined && !CONSUMER_PATTERN.test(consumer))
      throw new InvalidRequestError(`consumer must match ${CONSUMER_PATTERN.source}`);
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_NACK_REASON_LENGTH))
      throw new InvalidRequestError(
        `reason must be a string of at most ${MAX_NACK_REASON_LENGTH} characters`,
      );
    if (reason !== undefined && !isSafeText(reason))
      throw new InvalidRequestError(`reason ${SAFE_TEXT_RULE}`);
    if (typeof requeue !== 'boolean') throw new InvalidRequestError('requeue must be a boolean');
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_NACK_DELAY_MS)
      throw new InvalidRequestError(`delayMs must be an integer from 0 to ${MAX_NACK_DELAY_MS}`);
    return {
      consumer,
      requeue,
      delayMs,
      detail: reason ?? '',
      visibilityMs: this.config.messages.visibilityTimeoutMs,
      nowMs: Date.now(),
    };
  }
}
