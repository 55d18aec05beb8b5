import { Injectable, Logger } from '@nestjs/common';
import { HealthCheckResult } from '@nestjs/terminus';
import { Agent, AgentsService, RegisterAgentInput } from '../agents/agents.service';
import {
  Acknowledgement,
  AgentStats,
  BroadcastRequest,
  ContextMessage,
  ContextSyncStats,
  DeadLetterPage,
  LeaseExtension,
  MessageStatus,
  NackOptions,
  NackResult,
  PendingQuery,
  Priority,
  PublishResult,
  RoutedShareRequest,
  ShareRequest,
  ThroughputPoint,
} from '../context-sync/context-message';
import { ContextSyncService } from '../context-sync/context-sync.service';
import {
  Insights,
  MemoryQuery,
  MemoryRecord,
  MemoryViewer,
  Page,
  PageQuery,
  StoreMemoryInput,
} from '../memory/memory-record';
import { ReadinessService } from '../health/readiness.service';
import { MemoryService } from '../memory/memory.service';

/** The contract's default page size for conversations; history and memories use it too. */
export const DEFAULT_PAGE_LIMIT = 50;

/**
 * One face on Brain, for the REST controllers and for in-process agents: the seed's ten methods (async), plus the
 * thin pass-throughs the API needs. It holds no rules of its own beyond composing the module services; who may
 * call what over HTTP is decided by AccessPolicy, in front of it.
 */
@Injectable()
export class BrainAI {
  private readonly logger = new Logger('BrainAI');

  constructor(
    private readonly agents: AgentsService,
    private readonly contextSync: ContextSyncService,
    private readonly memory: MemoryService,
    private readonly readiness: ReadinessService,
  ) {}

  // ---- the seed's ten methods ---------------------------------------------------------------------------------

  /** Registers an agent; the token is returned only here. Throws AgentAlreadyExistsError. */
  async registerAgent(input: RegisterAgentInput): Promise<{ agent: Agent; token: string }> {
    const registered = await this.agents.register(input);
    this.logger.log(`agent '${input.id}' registered`);
    return registered;
  }

  /** Stores a memory record of the agent (its own context, in Postgres). */
  async storeContext(agentId: string, input: StoreMemoryInput): Promise<MemoryRecord> {
    return this.memory.storeMemory(agentId, input);
  }

  /** Memories of `agentId` that `viewer` may see (private ones: the owner and the admin only), newest first. */
  async queryContext(agentId: string, viewer: MemoryViewer, query: MemoryQuery): Promise<Page<MemoryRecord>> {
    return this.memory.queryMemories(agentId, viewer, query);
  }

  /**
   * Sends context to one agent (the design note's call): the message, `message.id` its id. Not `async`: returning
   * the promise as it is saves the ticks of wrapping it again, on the hottest in-process call.
   */
  shareContext(request: ShareRequest): Promise<ContextMessage> {
    return this.contextSync.share(request);
  }

  /** `broadcast(from, context, priority?)` as in the design note, or one object. */
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
    return typeof first === 'string'
      ? this.contextSync.broadcast(first, context as Record<string, unknown>, priority)
      : this.contextSync.broadcast(first);
  }

  /** Sends context to the least-loaded agent offering `routing.capability` (never the sender). */
  async shareWithRouting(request: RoutedShareRequest): Promise<ContextMessage> {
    return this.contextSync.shareWithRouting(request);
  }

  /** REST and MCP: the message and whether it is new (`created` is false for an idempotent replay of a known id). */
  async publishMessage(request: ShareRequest): Promise<PublishResult> {
    return this.contextSync.publishMessage(request);
  }

  async publishBroadcast(request: BroadcastRequest): Promise<PublishResult> {
    return this.contextSync.publishBroadcast(request);
  }

  async publishRouted(request: RoutedShareRequest): Promise<PublishResult> {
    return this.contextSync.publishRouted(request);
  }

  /** The agent's memories and the messages it sent or received, newest first: the first `limit` (the note's call). */
  async getAgentHistory(agentId: string, limit = DEFAULT_PAGE_LIMIT): Promise<MemoryRecord[]> {
    return (await this.memory.getHistory(agentId, { limit }, { admin: true })).items;
  }

  /** REST: one page of the agent's history, as `viewer` may see it. */
  async getAgentHistoryPage(
    agentId: string,
    page: PageQuery = { limit: DEFAULT_PAGE_LIMIT },
    viewer: MemoryViewer = { admin: true },
  ): Promise<Page<MemoryRecord>> {
    return this.memory.getHistory(agentId, page, viewer);
  }

  /** Activity in a window, as `viewer` may see it (an agent: its own traffic and what is shared; admin: all). */
  async getCrossAgentInsights(
    since?: Date,
    until?: Date,
    viewer: MemoryViewer = { admin: true },
  ): Promise<Insights> {
    return this.memory.getInsights(since, until, viewer);
  }

  async getStats(): Promise<ContextSyncStats> {
    return this.contextSync.getStats();
  }

  /** Readiness, in Terminus' shape: the same checks as GET /health/ready (Redis, Postgres, archive, lifecycle). */
  async health(): Promise<HealthCheckResult> {
    return this.readiness.report();
  }

  /**
   * Deletes every stream, message, memory and agent. Redis first, so nothing is left for the archiver to write
   * back into Postgres; Postgres next; Redis once more for the read-cache keys that the memory clear bumped.
   */
  async clearAll(): Promise<void> {
    // Redis first, so the archiver has nothing left to write into the tables being emptied; Redis again last,
    // for the read-cache version keys that emptying the memories bumps.
    await this.contextSync.clear();
    await this.memory.clear();
    await this.agents.clear();
    await this.contextSync.clear();
    this.logger.warn('all data cleared');
  }

  // ---- monitoring (the dashboard) ------------------------------------------------------------------------------

  async listAgentStats(): Promise<AgentStats[]> {
    return this.contextSync.listAgentStats();
  }

  async getAgentStats(agentId: string): Promise<AgentStats> {
    return this.contextSync.getAgentStats(agentId);
  }

  getThroughput(): ThroughputPoint[] {
    return this.contextSync.getThroughput();
  }

  // ---- agents -------------------------------------------------------------------------------------------------

  /** Every agent, or only those offering `capability` (discovery). */
  async listAgents(capability?: string): Promise<Agent[]> {
    return this.agents.list(capability);
  }

  async getAgent(agentId: string): Promise<Agent> {
    return this.agents.get(agentId);
  }

  /** Registers the agent unless it exists (in-process agents call this at start); no token is issued. */
  async ensureAgent(input: RegisterAgentInput): Promise<Agent> {
    return this.agents.ensureRegistered(input);
  }

  async isRegistered(agentId: string): Promise<boolean> {
    return this.agents.isRegistered(agentId);
  }

  async deleteAgent(agentId: string): Promise<void> {
    await this.agents.delete(agentId);
  }

  async rotateToken(agentId: string): Promise<string> {
    return this.agents.rotateToken(agentId);
  }

  // ---- messages -----------------------------------------------------------------------------------------------

  async getPending(agentId: string, query: PendingQuery = {}): Promise<ContextMessage[]> {
    return this.contextSync.getPendingMessages(agentId, query);
  }

  /** true once acknowledged (the design note's call). */
  async acknowledge(messageId: string, agentId: string): Promise<true> {
    return this.contextSync.acknowledge(messageId, agentId);
  }

  /** REST and MCP: the acknowledgement with its time. */
  async acknowledgeMessage(messageId: string, agentId: string): Promise<Acknowledgement> {
    return this.contextSync.acknowledgeMessage(messageId, agentId);
  }

  async acknowledgeMany(agentId: string, ids: string[]): Promise<number> {
    return this.contextSync.acknowledgeMany(agentId, ids);
  }

  /** Keeps a leased message with `consumer` for `extendMs` from now (long work outliving the visibility timeout). */
  async extendLease(
    messageId: string,
    agentId: string,
    consumer: string,
    extendMs: number,
  ): Promise<LeaseExtension> {
    return this.contextSync.extendLease(messageId, agentId, consumer, extendMs);
  }

  /** Gives a message back as its recipient: requeue (now or after `delayMs`) or dead-letter it. */
  async nack(messageId: string, agentId: string, options?: NackOptions): Promise<NackResult> {
    return this.contextSync.nack(messageId, agentId, options);
  }

  /** The design note's name: the message goes to the agent's dead letters now, reason `rejected`, `reason` as detail. */
  async moveToDeadLetter(messageId: string, agentId: string, reason?: string): Promise<NackResult> {
    return this.contextSync.moveToDeadLetter(messageId, agentId, reason);
  }

  async getMessage(
    messageId: string,
  ): Promise<{ message: ContextMessage; status: MessageStatus; recipients: string[] }> {
    return this.contextSync.getMessage(messageId);
  }

  /** A page of the agent's dead letters (at most `limit` and BRAIN_MAX_PAGE_BYTES); nextCursor continues it. */
  async deadLetters(agentId: string, limit: number, cursor?: string): Promise<DeadLetterPage> {
    return this.contextSync.deadLetterPage(agentId, limit, cursor);
  }

  async requeue(agentId: string, messageId: string): Promise<ContextMessage> {
    return this.contextSync.requeueDeadLetter(agentId, messageId);
  }

  async getConversation(
    a: string,
    b: string,
    page: PageQuery = { limit: DEFAULT_PAGE_LIMIT },
    viewer: MemoryViewer = { admin: true },
  ): Promise<Page<MemoryRecord>> {
    return this.memory.getConversation(a, b, page, viewer);
  }
}
