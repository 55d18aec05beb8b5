import { Injectable } from '@nestjs/common';
import { AgentNotFoundError } from '../common/errors';
import { isAgentId } from '../common/ids';
import { AgentRegistryRepository } from './agent-registry.repository';
import { ArchiveHealthIndicator } from './archive.health';
import { ArchiverService } from './archiver.service';
import {
  Acknowledgement,
  AgentStats,
  BroadcastRequest,
  ContextMessage,
  ContextSyncStats,
  DeadLetter,
  DeadLetterPage,
  EventStreamOptions,
  HistoryRecord,
  LeaseExtension,
  MessageWithStatus,
  NackOptions,
  NackResult,
  PendingOptions,
  PendingQuery,
  Priority,
  PublishResult,
  RoutedShareRequest,
  ShareRequest,
  ThroughputPoint,
} from './context-message';
import { CapabilityRouterService } from './capability-router.service';
import { checkAgentId } from './context-sync.rules';
import { DeadLettersService } from './dead-letters.service';
import { EventStream, EventStreamService } from './event-stream.service';
import { InboxService } from './inbox.service';
import { LeaseService } from './lease.service';
import { MailboxStatsService } from './mailbox-stats.service';
import { MailboxRepository } from './mailbox.repository';
import { MaintenanceService } from './maintenance.service';
import { MessagePublisherService } from './message-publisher.service';
import { MessageStatusService } from './message-status.service';
import { MemoryService } from '../memory/memory.service';
import { NackService } from './nack.service';
import { ThroughputSampler } from './throughput.sampler';

/** The design note's "last 50 messages". */
const DEFAULT_HISTORY_LIMIT = 50;

function broadcastRequest(
  first: BroadcastRequest | string,
  context: Record<string, unknown> | undefined,
  priority: Priority | undefined,
): BroadcastRequest {
  if (typeof first !== 'string') return first;
  return { sourceAgent: first, context: context as Record<string, unknown>, priority };
}

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
    private readonly leases: LeaseService,
    private readonly router: CapabilityRouterService,
    private readonly memory: MemoryService,
    private readonly nacks: NackService,
    private readonly events: EventStreamService,
    private readonly mailboxStats: MailboxStatsService,
    private readonly throughput: ThroughputSampler,
    private readonly archiveHealth: ArchiveHealthIndicator,
  ) {}

  // ---- agents --------------------------------------------------------------------------------------------

  /**
   * Creates the agent's Redis presence: meta (token hash, capabilities), streams, consumer groups, broadcast
   * membership, its place in the capability sets routing reads. Idempotent.
   */
  async registerAgent(agentId: string, tokenHash: string, capabilities: string[] = []): Promise<void> {
    checkAgentId(agentId, 'agentId');
    await this.agents.registerAgent(agentId, tokenHash, Date.now(), capabilities);
    await this.agents.joinBroadcast(agentId);
  }

  /** Mirrors the capabilities of an agent registered before routing existed; false if already mirrored or gone. */
  async mirrorCapabilities(agentId: string, capabilities: string[]): Promise<boolean> {
    checkAgentId(agentId, 'agentId');
    return this.agents.mirrorCapabilities(agentId, capabilities);
  }

  /** Removes the agent's live streams and state once everything in them is archived; its Postgres history stays. */
  async unregisterAgent(agentId: string): Promise<void> {
    checkAgentId(agentId, 'agentId');
    await this.agents.removeFromCapabilities(agentId);
    await this.agents.closeAgent(agentId);
    this.publisher.forgetSender(agentId);
    await this.archiver.drainAgent(agentId);
    await this.agents.deleteAgentKeys(agentId);
  }

  async isRegistered(agentId: string): Promise<boolean> {
    return isAgentId(agentId) && this.mailboxes.agentExists(agentId);
  }

  async setTokenHash(agentId: string, tokenHash: string): Promise<void> {
    checkAgentId(agentId, 'agentId');
    if (!(await this.agents.setTokenHash(agentId, tokenHash))) throw new AgentNotFoundError(agentId);
  }

  async listAgentIds(): Promise<string[]> {
    return this.agents.listAgentIds();
  }

  // ---- messages: the design note's calls -----------------------------------------------------------------

  /** Sends context to one agent; the message (an idempotent replay of a known id: the original one). */
  async share(request: ShareRequest): Promise<ContextMessage> {
    return (await this.publisher.share(request)).message;
  }

  /** Sends context to every registered agent but the sender: `broadcast(from, context, priority?)` or one object. */
  broadcast(request: BroadcastRequest): Promise<ContextMessage>;
  broadcast(
    sourceAgent: string,
    context: Record<string, unknown>,
    priority?: Priority,
  ): Promise<ContextMessage>;
  async broadcast(
    first: BroadcastRequest | string,
    context?: Record<string, unknown>,
    priority?: Priority,
  ): Promise<ContextMessage> {
    return (await this.publisher.broadcast(broadcastRequest(first, context, priority))).message;
  }

  /** Sends context to the least-loaded agent offering `routing.capability` (the note's `routing.type` too). */
  async shareWithRouting(request: RoutedShareRequest): Promise<ContextMessage> {
    return (await this.router.route(request)).message;
  }

  /** `getPendingMessages(agentId, count?, { priority }?)` as in the design note, or with one query object. */
  getPendingMessages(agentId: string, query?: PendingQuery): Promise<ContextMessage[]>;
  getPendingMessages(agentId: string, count: number, options?: PendingOptions): Promise<ContextMessage[]>;
  getPendingMessages(
    agentId: string,
    query?: PendingQuery | number,
    options: PendingOptions = {},
  ): Promise<ContextMessage[]> {
    const asQuery = typeof query === 'number' ? { count: query, priority: options.priority } : query;
    return this.inbox.getPendingMessages(agentId, asQuery);
  }

  /** true once acknowledged (idempotent); throws when the message is not addressed to the agent. */
  async acknowledge(messageId: string, agentId: string): Promise<true> {
    await this.inbox.acknowledge(messageId, agentId);
    return true;
  }

  /** The conversation between two agents from the archive, newest first, at most `limit` (default 50) records. */
  async getHistory(agentA: string, agentB: string, limit = DEFAULT_HISTORY_LIMIT): Promise<HistoryRecord[]> {
    const page = await this.memory.getConversation(agentA, agentB, { limit });
    return page.items.map((record) => ({ ...record, timestamp: record.createdAt }));
  }

  // ---- messages: what REST needs besides (201 vs 200 for a replay, the acknowledgement's time) -------------

  publishMessage(request: ShareRequest): Promise<PublishResult> {
    return this.publisher.share(request);
  }

  publishBroadcast(request: BroadcastRequest): Promise<PublishResult> {
    return this.publisher.broadcast(request);
  }

  publishRouted(request: RoutedShareRequest): Promise<PublishResult> {
    return this.router.route(request);
  }

  acknowledgeMessage(messageId: string, agentId: string): Promise<Acknowledgement> {
    return this.inbox.acknowledge(messageId, agentId);
  }

  acknowledgeMany(agentId: string, ids: string[]): Promise<number> {
    return this.inbox.acknowledgeMany(agentId, ids);
  }

  /** Keeps a leased message with `consumer` for `extendMs` from now, beyond BRAIN_VISIBILITY_TIMEOUT_MS. */
  extendLease(
    messageId: string,
    agentId: string,
    consumer: string,
    extendMs: number,
  ): Promise<LeaseExtension> {
    return this.leases.extendLease(messageId, agentId, consumer, extendMs);
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

  deadLetterPage(agentId: string, limit?: number, cursor?: string): Promise<DeadLetterPage> {
    return this.deadLetters.deadLetterPage(agentId, limit, cursor);
  }

  requeueDeadLetter(agentId: string, messageId: string): Promise<ContextMessage> {
    return this.deadLetters.requeueDeadLetter(agentId, messageId);
  }

  // ---- push ----------------------------------------------------------------------------------------------

  /** An SSE stream's server side; refuses (404, 429) before anything is written, then `run(sink)` streams. */
  openEventStream(agentId: string, options: EventStreamOptions): Promise<EventStream> {
    return this.events.start(agentId, options);
  }

  // ---- operations ----------------------------------------------------------------------------------------

  getStats(): Promise<ContextSyncStats> {
    return this.maintenance.getStats();
  }

  cleanupOldMessages(now?: number): Promise<number> {
    return this.maintenance.cleanupOldMessages(now);
  }

  async clear(): Promise<void> {
    await this.maintenance.clear();
    this.publisher.forgetIdTags();
  }

  listAgentStats(): Promise<AgentStats[]> {
    return this.mailboxStats.listAgentStats();
  }

  getAgentStats(agentId: string): Promise<AgentStats> {
    return this.mailboxStats.agentStats(agentId);
  }

  /** Messages per second over the last 15 minutes, as this replica sampled them. */
  getThroughput(): ThroughputPoint[] {
    return this.throughput.series();
  }

  /** The archive's readiness detail (its lag), under `key`; ReadinessService composes it with the other checks. */
  checkArchive(key: string): ReturnType<ArchiveHealthIndicator['check']> {
    return this.archiveHealth.check(key);
  }
}
