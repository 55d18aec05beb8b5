import { Injectable } from '@nestjs/common';
import { AgentNotFoundError } from '../common/errors';
import { isAgentId } from '../common/ids';
import { AgentRegistryRepository } from './agent-registry.repository';
import { ArchiverService } from './archiver.service';
import {
  Acknowledgement,
  BroadcastRequest,
  ContextMessage,
  ContextSyncStats,
  DeadLetter,
  PendingQuery,
  PublishResult,
  ShareRequest,
} from './context-message';
import { checkAgentId } from './context-sync.rules';
import { DeadLettersService } from './dead-letters.service';
import { InboxService } from './inbox.service';
import { MailboxRepository } from './mailbox.repository';
import { MaintenanceService } from './maintenance.service';
import { MessagePublisherService } from './message-publisher.service';
import { MessageStatusService, MessageWithStatus } from './message-status.service';
import { NackOptions, NackResult, NackService } from './nack.service';

/**
 * ContextSync: durable agent-to-agent messaging on Redis Streams, and the module's one API. Each agent has a direct
 * mailbox (4 priority streams in its own slot) and a membership of the broadcast mailbox (4 shared streams, one
 * consumer group per member). The work is done by one service per concern; the data model is in README.md.
 */
@Injectable()
export class ContextSyncService {
  constructor(
    private readonly agents: AgentRegistryRepository,
    private readonly mailboxes: MailboxRepository,
    private readonly archiver: ArchiverService,
    private readonly publisher: MessagePublisherService,
    private readonly inbox: InboxService,
    private readonly statuses: MessageStatusService,
    private readonly deadLetters: DeadLettersService,
    private readonly maintenance: MaintenanceService,
    private readonly nacks: NackService,
  ) {}

  // ---- agents --------------------------------------------------------------------------------------------

  /** Creates the agent's Redis presence: meta (token hash), streams, consumer groups, broadcast membership. Idempotent. */
  async registerAgent(agentId: string, tokenHash: string): Promise<void> {
    checkAgentId(agentId, 'agentId');
    await this.agents.registerAgent(agentId, tokenHash, Date.now());
    await this.agents.joinBroadcast(agentId);
  }

  /** Removes the agent's live streams and state once everything in them is archived; its Postgres history stays. */
  async unregisterAgent(agentId: string): Promise<void> {
    checkAgentId(agentId, 'agentId');
    await this.agents.closeAgent(agentId);
    this.publisher.forgetSender(agentId);
    await this.archiver.drainAgent(agentId);
    await this.agents.deleteAgentKeys(agentId);
  }

  async isRegistered(agentId: string): Promise<boolean> {
    return isAgentId(agentId) && this.mailboxes.agentExists(agentId);
  }

  /** Token hash mirrored in Redis, so auth needs no Postgres. null if the agent is unknown. */
  async getTokenHash(agentId: string): Promise<string | null> {
    if (!isAgentId(agentId)) return null;
    return this.agents.getTokenHash(agentId);
  }

  async setTokenHash(agentId: string, tokenHash: string): Promise<void> {
    checkAgentId(agentId, 'agentId');
    if (!(await this.agents.setTokenHash(agentId, tokenHash))) throw new AgentNotFoundError(agentId);
  }

  async listAgentIds(): Promise<string[]> {
    return this.agents.listAgentIds();
  }

  // ---- messages ------------------------------------------------------------------------------------------

  share(request: ShareRequest): Promise<PublishResult> {
    return this.publisher.share(request);
  }

  broadcast(request: BroadcastRequest): Promise<PublishResult> {
    return this.publisher.broadcast(request);
  }

  getPendingMessages(agentId: string, query?: PendingQuery): Promise<ContextMessage[]> {
    return this.inbox.getPendingMessages(agentId, query);
  }

  acknowledge(messageId: string, agentId: string): Promise<Acknowledgement> {
    return this.inbox.acknowledge(messageId, agentId);
  }

  acknowledgeMany(agentId: string, ids: string[]): Promise<number> {
    return this.inbox.acknowledgeMany(agentId, ids);
  }

  /** Gives a message back: requeue it (now or after `delayMs`) or dead-letter it (contract: "Consumers"). */
  nack(messageId: string, agentId: string, options?: NackOptions): Promise<NackResult> {
    return this.nacks.nack(messageId, agentId, options);
  }

  /** The design note's name for a nack without requeue: to the agent's dead letters now, `reason` as detail. */
  moveToDeadLetter(messageId: string, agentId: string, reason?: string): Promise<NackResult> {
    return this.nacks.moveToDeadLetter(messageId, agentId, reason);
  }

  getMessage(messageId: string): Promise<MessageWithStatus> {
    return this.statuses.getMessage(messageId);
  }

  isAcknowledged(messageId: string): Promise<boolean> {
    return this.statuses.isAcknowledged(messageId);
  }

  listDeadLetters(agentId: string, limit?: number): Promise<DeadLetter[]> {
    return this.deadLetters.listDeadLetters(agentId, limit);
  }

  requeueDeadLetter(agentId: string, messageId: string): Promise<ContextMessage> {
    return this.deadLetters.requeueDeadLetter(agentId, messageId);
  }

  // ---- operations ----------------------------------------------------------------------------------------

  getStats(): Promise<ContextSyncStats> {
    return this.maintenance.getStats();
  }

  cleanupOldMessages(now?: number): Promise<number> {
    return this.maintenance.cleanupOldMessages(now);
  }

  clear(): Promise<void> {
    return this.maintenance.clear();
  }
}
