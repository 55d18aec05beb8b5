import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import {
  AgentNotFoundError,
  AlreadyAcknowledgedError,
  DeadLetterNotFoundError,
  InvalidRequestError,
  MessageIdConflictError,
  MessageNotFoundError,
  NotRecipientError,
} from '../common/errors';
import { CONSUMER_PATTERN, isAgentId, MESSAGE_ID_PATTERN } from '../common/ids';
import { MAX_COUNT, MAX_WAIT_MS } from '../common/limits';
import { MailboxKeys } from '../infrastructure/redis/keys';
import { MemoryService } from '../memory/memory.service';
import { MetricsService } from '../metrics/metrics.service';
import {
  Acknowledgement,
  BROADCAST,
  BroadcastRequest,
  ContextMessage,
  ContextSyncStats,
  DeadLetter,
  MessageStatus,
  messageType,
  PendingQuery,
  PRIORITIES,
  PublishResult,
  ShareRequest,
} from './context-message';
import { ArchiverService } from './archiver.service';
import { AgentBacklog, ContextSyncMetrics } from './context-sync.metrics';
import { LongPollService } from './long-poll.service';
import { AckOutcome, FetchMode, MailboxRepository, RawPending } from './mailbox.repository';
import {
  compareEntryIds,
  fieldsOf,
  parseLocation,
  priorityAt,
  priorityIndex,
  toContextMessage,
  toDeadLetter,
} from './message-codec';

const UUID = MESSAGE_ID_PATTERN;
const KNOWN_SENDER_TTL_MS = 5000;
const KNOWN_SENDERS_MAX = 100_000;

/** A recipient's state of one message; 'gone' once retention trimmed it unresolved (no longer deliverable). */
type RecipientState = 'acknowledged' | 'pending' | 'dead' | 'gone';

interface Candidate {
  raw: RawPending;
  mailbox: 'direct' | 'broadcast';
}

/**
 * ContextSync: durable agent-to-agent messaging on Redis Streams. Every method here holds the rules; the Redis
 * commands live in MailboxRepository. Each agent has a direct mailbox (4 priority streams in its own slot) and a
 * membership of the broadcast mailbox (4 shared streams, one consumer group per member).
 */
@Injectable()
export class ContextSyncService {
  private readonly logger = new Logger('ContextSync');
  private readonly published;
  private readonly knownSenders = new Map<string, number>();
  private readonly acknowledged;

  constructor(
    private readonly mailboxes: MailboxRepository,
    private readonly longPoll: LongPollService,
    private readonly archiver: ArchiverService,
    private readonly memory: MemoryService,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    metrics: MetricsService,
    private readonly syncMetrics: ContextSyncMetrics,
  ) {
    syncMetrics.measureBacklogWith(() => this.backlogByAgent());
    this.published = metrics.counter('brain_messages_published_total', 'Messages accepted (201)', [
      'kind',
      'priority',
    ]);
    this.acknowledged = metrics.counter('brain_messages_acknowledged_total', 'Acknowledgements recorded');
  }

  // ---- agents --------------------------------------------------------------------------------------------

  /** Creates the agent's Redis presence: meta (token hash), streams, consumer groups, broadcast membership. Idempotent. */
  async registerAgent(agentId: string, tokenHash: string): Promise<void> {
    this.checkAgentId(agentId, 'agentId');
    await this.mailboxes.registerAgent(agentId, tokenHash, Date.now());
    await this.mailboxes.joinBroadcast(agentId);
  }

  /** Removes the agent's live streams and state once everything in them is archived; its Postgres history stays. */
  async unregisterAgent(agentId: string): Promise<void> {
    this.checkAgentId(agentId, 'agentId');
    await this.mailboxes.closeAgent(agentId);
    this.knownSenders.delete(agentId);
    await this.archiver.drainAgent(agentId);
    await this.mailboxes.deleteAgentKeys(agentId);
  }

  async isRegistered(agentId: string): Promise<boolean> {
    return isAgentId(agentId) && this.mailboxes.agentExists(agentId);
  }

  /** Token hash mirrored in Redis, so auth needs no Postgres. null if the agent is unknown. */
  async getTokenHash(agentId: string): Promise<string | null> {
    if (!isAgentId(agentId)) return null;
    return this.mailboxes.getTokenHash(agentId);
  }

  async setTokenHash(agentId: string, tokenHash: string): Promise<void> {
    if (!(await this.isRegistered(agentId))) throw new AgentNotFoundError(agentId);
    await this.mailboxes.setTokenHash(agentId, tokenHash);
  }

  async listAgentIds(): Promise<string[]> {
    return this.mailboxes.listAgentIds();
  }

  // ---- publish -------------------------------------------------------------------------------------------

  async share(request: ShareRequest): Promise<PublishResult> {
    this.checkAgentId(request.targetAgent, 'targetAgent');
    return this.syncMetrics.time('share', () => this.publish(request, request.targetAgent));
  }

  async broadcast(request: BroadcastRequest): Promise<PublishResult> {
    return this.syncMetrics.time('broadcast', () => this.publish(request, BROADCAST));
  }

  private async publish(request: BroadcastRequest, target: string): Promise<PublishResult> {
    this.checkAgentId(request.sourceAgent, 'sourceAgent');
    const priority = request.priority ?? 'medium';
    if (!PRIORITIES.includes(priority))
      throw new InvalidRequestError(`priority must be one of ${PRIORITIES.join(', ')}`);
    if (request.id !== undefined && !UUID.test(request.id))
      throw new InvalidRequestError('id must be a lowercase uuid');
    if (typeof request.context !== 'object' || request.context === null || Array.isArray(request.context)) {
      throw new InvalidRequestError('context must be a JSON object');
    }
    const owner = `${request.sourceAgent} ${target}`;
    const clientChosenId = request.id !== undefined;
    const id = request.id ?? randomUUID();
    // An id the client chose may be a retry (or a reuse): claim it first. A fresh uuid cannot collide, so its
    // claim travels with the append, in the same round trip.
    let claimedBefore: string | null = null;
    if (clientChosenId) {
      claimedBefore = await this.mailboxes.claimMessageId(id, owner, this.claimTtlSeconds());
      if (claimedBefore !== null && claimedBefore !== owner) throw new MessageIdConflictError(id);
    }
    if (!(await this.senderExists(request.sourceAgent))) {
      if (clientChosenId && claimedBefore === null) await this.mailboxes.releaseClaim(id);
      throw new AgentNotFoundError(request.sourceAgent);
    }

    const timestampMs = Date.now();
    const mailbox = this.mailboxOf(target, request.sourceAgent);
    const [{ status, location }] = await Promise.all([
      this.mailboxes.publish(mailbox, target === BROADCAST ? 'broadcast' : 'direct', {
        id,
        from: request.sourceAgent,
        type: request.type ?? '',
        payload: JSON.stringify(request.context),
        timestampMs,
        priorityIndex: priorityIndex(priority),
      }),
      clientChosenId ? undefined : this.mailboxes.claimMessageId(id, owner, this.claimTtlSeconds()),
    ]);
    if (status === -1) {
      if (claimedBefore === null) await this.mailboxes.releaseClaim(id);
      throw new AgentNotFoundError(target);
    }
    if (status === 0) {
      // Published before: answer with the original message, as stored.
      const original = await this.readMessage(mailbox, target, location!);
      if (!original) throw new MessageNotFoundError(id);
      return { message: original, created: false };
    }
    this.published.inc({ kind: target === BROADCAST ? 'broadcast' : 'direct', priority });
    this.syncMetrics.count(request.sourceAgent, 'published');
    return {
      created: true,
      message: {
        id,
        fromAgent: request.sourceAgent,
        toAgent: target,
        timestamp: new Date(timestampMs).toISOString(),
        payload: request.context,
        priority,
        type: messageType(request.type),
        deliveryCount: 0,
      },
    };
  }

  // ---- pending -------------------------------------------------------------------------------------------

  async getPendingMessages(agentId: string, query: PendingQuery = {}): Promise<ContextMessage[]> {
    this.checkAgentId(agentId, 'agentId');
    const count = query.count ?? 10;
    if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT)
      throw new InvalidRequestError(`count must be an integer from 1 to ${MAX_COUNT}`);
    const waitMs = query.waitMs ?? 0;
    if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS)
      throw new InvalidRequestError(`wait must be an integer from 0 to ${MAX_WAIT_MS}`);
    if (query.consumer !== undefined && !CONSUMER_PATTERN.test(query.consumer))
      throw new InvalidRequestError('consumer must match ^[A-Za-z0-9_.:-]{1,64}$');
    if (query.priority !== undefined && !PRIORITIES.includes(query.priority))
      throw new InvalidRequestError(`priority must be one of ${PRIORITIES.join(', ')}`);
    if (!(await this.mailboxes.agentExists(agentId))) throw new AgentNotFoundError(agentId);

    const deadline = Date.now() + waitMs;
    for (;;) {
      const { messages, newest } = await this.syncMetrics.time('pending', () =>
        this.collectPending(agentId, count, query),
      );
      const remaining = deadline - Date.now();
      // Shutting down: answer with what there is now rather than hold the process's exit for the rest of `wait`.
      if (messages.length > 0 || remaining <= 0 || this.longPoll.isClosing) return messages;
      await this.longPoll.waitForNewEntries(
        this.mailboxes.keys.agentMailbox(agentId).streams,
        newest.direct,
        newest.broadcast,
        remaining,
      );
    }
  }

  /**
   * One pass over both mailboxes. Peek reads both and merges. A lease first asks both what they could hand out,
   * merges that by priority and age, then leases exactly that many from each, so nothing is leased and not returned.
   */
  private async collectPending(
    agentId: string,
    count: number,
    query: PendingQuery,
  ): Promise<{ messages: ContextMessage[]; newest: { direct: string[]; broadcast: string[] } }> {
    const limits = PRIORITIES.map((priority) =>
      query.priority === undefined || query.priority === priority ? count : 0,
    );
    const lease = query.consumer !== undefined;
    const first = await this.fetchBoth(agentId, lease ? 'available' : 'peek', query.consumer ?? '', limits);
    let chosen = first.candidates.slice(0, count);
    if (lease && chosen.length > 0) {
      const perMailbox = (mailbox: 'direct' | 'broadcast') =>
        PRIORITIES.map((_, p) => chosen.filter((c) => c.mailbox === mailbox && c.raw[0] === p).length);
      const [direct, broadcast] = await Promise.all(
        (['direct', 'broadcast'] as const).map((mailbox) => {
          const wanted = perMailbox(mailbox);
          return wanted.some((n) => n > 0)
            ? this.fetchOne(agentId, mailbox, 'lease', query.consumer!, wanted)
            : Promise.resolve({ candidates: [], newest: [] });
        }),
      );
      chosen = mergeCandidates(direct.candidates, broadcast.candidates);
    }
    return {
      messages: chosen.map(({ raw, mailbox }) =>
        toContextMessage(
          fieldsOf(raw[3]),
          priorityAt(raw[0]),
          mailbox === 'direct' ? agentId : BROADCAST,
          raw[2],
        ),
      ),
      newest: first.newest,
    };
  }

  private async fetchBoth(agentId: string, mode: FetchMode, consumer: string, limits: number[]) {
    const [direct, broadcast] = await Promise.all([
      this.fetchOne(agentId, 'direct', mode, consumer, limits),
      this.fetchOne(agentId, 'broadcast', mode, consumer, limits),
    ]);
    return {
      candidates: mergeCandidates(direct.candidates, broadcast.candidates),
      newest: { direct: direct.newest, broadcast: broadcast.newest },
    };
  }

  private async fetchOne(
    agentId: string,
    mailbox: 'direct' | 'broadcast',
    mode: FetchMode,
    consumer: string,
    limits: number[],
  ) {
    const keys =
      mailbox === 'direct'
        ? this.mailboxes.keys.agentMailbox(agentId)
        : this.mailboxes.keys.broadcastMailbox(agentId);
    const { entries, newest, deadLettered } = await this.mailboxes.fetch(keys, {
      mode,
      consumer,
      visibilityMs: this.config.messages.visibilityTimeoutMs,
      maxDeliveries: this.config.messages.maxDeliveries,
      nowMs: Date.now(),
      limits,
    });
    if (mode === 'lease') this.syncMetrics.count(agentId, 'delivered', entries.length);
    this.syncMetrics.count(agentId, 'dead_lettered', deadLettered);
    return { candidates: entries.map((raw) => ({ raw, mailbox })), newest };
  }

  // ---- acknowledge ---------------------------------------------------------------------------------------

  async acknowledge(messageId: string, agentId: string): Promise<Acknowledgement> {
    this.checkAgentId(agentId, 'agentId');
    if (!UUID.test(messageId)) throw new InvalidRequestError('messageId must be a lowercase uuid');
    const [result] = await this.syncMetrics.time('ack', () => this.acknowledgeIds(agentId, [messageId]));
    if (result.status === -1) throw new MessageNotFoundError(messageId);
    if (result.status === -2) throw new NotRecipientError(messageId, agentId);
    return { id: messageId, agentId, acknowledged: true, acknowledgedAt: new Date(result.at).toISOString() };
  }

  /** Returns how many of `ids` are acknowledged by the agent after the call (unknown ids are skipped). */
  async acknowledgeMany(agentId: string, ids: string[]): Promise<number> {
    this.checkAgentId(agentId, 'agentId');
    if (ids.length < 1 || ids.length > MAX_COUNT) {
      throw new InvalidRequestError(`ids must hold 1 to ${MAX_COUNT} uuids`);
    }
    if (!ids.every((id) => UUID.test(id)))
      throw new InvalidRequestError('each of ids must be a lowercase uuid');
    const results = await this.syncMetrics.time('ack', () => this.acknowledgeIds(agentId, [...new Set(ids)]));
    return results.filter((result) => result.status === 1 || result.status === 0).length;
  }

  /**
   * One script call for the whole batch in the agent's direct mailbox; the ids not found there (broadcasts) in one
   * more call on the broadcast mailbox. An id lives in at most one of them.
   */
  private async acknowledgeIds(agentId: string, ids: string[]): Promise<AckOutcome[]> {
    const now = Date.now();
    const keys = this.mailboxes.keys;
    const direct = await this.mailboxes.acknowledge(keys.agentMailbox(agentId), 'direct', ids, agentId, now);
    const missing = ids.filter((_, i) => direct[i].status === -1);
    const broadcast =
      missing.length > 0
        ? await this.mailboxes.acknowledge(keys.broadcastMailbox(agentId), 'broadcast', missing, agentId, now)
        : [];
    const fromBroadcast = new Map(missing.map((id, i) => [id, broadcast[i]]));
    const results = ids.map((id, i) => fromBroadcast.get(id) ?? direct[i]);
    const acknowledgedNow = results.filter((result) => result.status === 1).length;
    this.acknowledged.inc(acknowledgedNow);
    this.syncMetrics.count(agentId, 'acknowledged', acknowledgedNow);
    return results;
  }

  // ---- lookups -------------------------------------------------------------------------------------------

  /**
   * The message, its recipients, and each recipient's state. Falls back to the Postgres archive after retention:
   * a message trimmed from Redis is no longer deliverable, so it is pending for nobody (its dead letters stay).
   */
  async getMessage(
    messageId: string,
  ): Promise<{ message: ContextMessage; status: MessageStatus; recipients: string[] }> {
    if (!UUID.test(messageId)) throw new InvalidRequestError('messageId must be a lowercase uuid');
    const claim = await this.mailboxes.readClaim(messageId);
    if (claim) {
      const [sender, target] = claim.split(' ');
      const live = await this.liveMessage(messageId, sender, target);
      if (live) return live;
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
        ? [...(await this.mailboxes.broadcastMembers()).keys()].filter(
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
      message: { ...message, timestamp: message.createdAt.toISOString(), deliveryCount: 0 },
      recipients,
      // A broadcast nobody is known to have received is not "acknowledged by every recipient".
      status: { ...status, acknowledged: status.acknowledged && recipients.length > 0 },
    };
  }

  private async liveMessage(messageId: string, sender: string, target: string) {
    const mailbox = this.mailboxOf(target, sender);
    const location = await this.mailboxes.readLocation(mailbox, messageId);
    if (!location) return undefined;
    const message = await this.readMessage(mailbox, target, location);
    if (!message) return undefined;
    const { entryId, priority } = parseLocation(location);
    let recipients: string[];
    if (target === BROADCAST) {
      const members = await this.mailboxes.broadcastMembers();
      const p = priorityIndex(priority);
      recipients = [...members.entries()]
        .filter(([agentId, joined]) => agentId !== sender && compareEntryIds(joined[p], entryId) < 0)
        .map(([agentId]) => agentId)
        .sort();
    } else {
      recipients = [target];
    }
    const states = await Promise.all(
      recipients.map((agentId) => this.recipientState(messageId, target, agentId, true)),
    );
    if (target !== BROADCAST) {
      // A dead letter left the group's pending list: its count is kept on the dead letter.
      const dead = states[0] === 'dead' ? await this.mailboxes.readDeadLetter(mailbox, messageId) : null;
      message.deliveryCount = dead
        ? Number(dead.dc)
        : await this.mailboxes.deliveryCount(
            mailbox.streams[priorityIndex(priority)],
            mailbox.group,
            entryId,
          );
    }
    return { message, recipients, status: toStatus(recipients, states) };
  }

  /**
   * One recipient's state of a message; `inStream` says whether its stream entry is still there (deliverable). A
   * broadcast requeued from the dead letters ('r') lives on as a copy in the recipient's direct mailbox: read it
   * there (after retention trimmed the original, with its 'r', only that copy tells).
   */
  private async recipientState(
    messageId: string,
    target: string,
    agentId: string,
    inStream: boolean,
  ): Promise<RecipientState> {
    const mailbox = this.mailboxOf(target, agentId);
    const acked = await this.mailboxes.readAcked(mailbox, messageId);
    if (target === BROADCAST && (acked === 'r' || (acked === null && !inStream))) {
      const direct = this.mailboxes.keys.agentMailbox(agentId);
      if ((await this.mailboxes.readLocation(direct, messageId)) !== null)
        return this.stateIn(direct, messageId, await this.mailboxes.readAcked(direct, messageId), true);
      if (acked === 'r') return 'gone';
    }
    return this.stateIn(mailbox, messageId, acked, inStream);
  }

  private async stateIn(
    mailbox: MailboxKeys,
    messageId: string,
    acked: string | null,
    deliverable: boolean,
  ): Promise<RecipientState> {
    if (acked !== null && /^\d+$/.test(acked)) return 'acknowledged';
    if (acked === 'd') return 'dead';
    if (deliverable) return 'pending';
    // Trimmed: the acked state went with the entry, but a dead letter outlives it.
    return (await this.mailboxes.readDeadLetter(mailbox, messageId)) !== null ? 'dead' : 'gone';
  }

  async isAcknowledged(messageId: string): Promise<boolean> {
    return (await this.getMessage(messageId)).status.acknowledged;
  }

  // ---- dead letters --------------------------------------------------------------------------------------

  async listDeadLetters(agentId: string, limit = 100): Promise<DeadLetter[]> {
    this.checkAgentId(agentId, 'agentId');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_COUNT)
      throw new InvalidRequestError(`limit must be an integer from 1 to ${MAX_COUNT}`);
    if (!(await this.mailboxes.agentExists(agentId))) throw new AgentNotFoundError(agentId);
    const [own, fromBroadcasts] = await Promise.all([
      this.mailboxes.newestDeadLetters(this.mailboxes.keys.agentMailbox(agentId).dead, limit),
      this.mailboxes.newestDeadLetters(this.mailboxes.keys.broadcastMailbox(agentId).dead, limit),
    ]);
    return [
      ...own.map(([, flat]) => toDeadLetter(fieldsOf(flat), agentId)),
      ...fromBroadcasts.map(([, flat]) => toDeadLetter({ ...fieldsOf(flat), to: BROADCAST }, agentId)),
    ]
      .sort((a, b) => b.deadAt.localeCompare(a.deadAt))
      .slice(0, limit);
  }

  /**
   * Makes a dead letter pending again for the agent, with a fresh delivery count. Found by id through the dead-letter
   * index. A message the agent has acknowledged is never delivered again: 409.
   */
  async requeueDeadLetter(agentId: string, messageId: string): Promise<ContextMessage> {
    this.checkAgentId(agentId, 'agentId');
    if (!UUID.test(messageId)) throw new InvalidRequestError('messageId must be a lowercase uuid');
    let outcome = await this.mailboxes.requeueOwn(agentId, messageId);
    if (outcome.status === 'missing') {
      // A broadcast that died for this agent: copy it into the agent's own mailbox, then drop the dead letter.
      const broadcastMailbox = this.mailboxes.keys.broadcastMailbox(agentId);
      const fields = await this.mailboxes.readDeadLetter(broadcastMailbox, messageId);
      if (fields) {
        outcome = await this.mailboxes.requeueCopy(agentId, messageId, fields);
        await this.mailboxes.dropBroadcastDeadLetter(broadcastMailbox, messageId);
      } else if (/^\d+$/.test((await this.mailboxes.readAcked(broadcastMailbox, messageId)) ?? '')) {
        outcome = { status: 'acknowledged' };
      }
    }
    if (outcome.status === 'acknowledged') throw new AlreadyAcknowledgedError(messageId, agentId);
    if (outcome.status === 'missing') throw new DeadLetterNotFoundError(messageId, agentId);
    return toContextMessage(outcome.fields, priorityAt(outcome.priorityIndex), agentId, 0);
  }

  // ---- operations ----------------------------------------------------------------------------------------

  async getStats(): Promise<ContextSyncStats> {
    const agents = await this.mailboxes.listAgentIds();
    const perAgent = await Promise.all(
      agents.map(async (agentId) => {
        const direct = this.mailboxes.keys.agentMailbox(agentId);
        const broadcast = this.mailboxes.keys.broadcastMailbox(agentId);
        const [lengths, directState, broadcastState, backlog] = await Promise.all([
          Promise.all(direct.streams.map((stream) => this.mailboxes.streamLength(stream))),
          this.mailboxState(direct),
          this.mailboxState(broadcast),
          Promise.all(direct.streams.map((stream) => this.mailboxes.archiveBacklog(stream))),
        ]);
        return {
          agentId,
          entries: sum(lengths),
          pending: directState.pending + broadcastState.pending,
          acked: directState.acked + broadcastState.acked,
          dead: directState.dead + broadcastState.dead,
          backlog: sum(backlog),
        };
      }),
    );
    const broadcastStreams = this.mailboxes.keys.broadcastStreams();
    const [broadcastLengths, broadcastBacklog] = await Promise.all([
      Promise.all(broadcastStreams.map((stream) => this.mailboxes.streamLength(stream))),
      Promise.all(broadcastStreams.map((stream) => this.mailboxes.archiveBacklog(stream))),
    ]);
    return {
      totalMessages: sum(perAgent.map((a) => a.entries)) + sum(broadcastLengths),
      pendingMessages: sum(perAgent.map((a) => a.pending)),
      acknowledgedMessages: sum(perAgent.map((a) => a.acked)),
      deadLetters: sum(perAgent.map((a) => a.dead)),
      streamsByAgent: Object.fromEntries(perAgent.map((a) => [a.agentId, a.entries])),
      archiveLag: sum(perAgent.map((a) => a.backlog)) + sum(broadcastBacklog),
    };
  }

  /** Pending and dead letters of every agent, from counters (no scan); the metrics read it at most every 5 s. */
  private async backlogByAgent(): Promise<AgentBacklog[]> {
    const agents = await this.mailboxes.listAgentIds();
    return Promise.all(
      agents.map(async (agentId) => {
        const [direct, broadcast] = await Promise.all([
          this.mailboxState(this.mailboxes.keys.agentMailbox(agentId)),
          this.mailboxState(this.mailboxes.keys.broadcastMailbox(agentId)),
        ]);
        return {
          agentId,
          pending: direct.pending + broadcast.pending,
          deadLetters: direct.dead + broadcast.dead,
        };
      }),
    );
  }

  /**
   * Pending for one recipient of one mailbox, from counters rather than a scan: entries appended minus entries its
   * group has read, plus those read but unacknowledged, minus those acknowledged before they were read.
   */
  private async mailboxState(
    mailbox: MailboxKeys,
  ): Promise<{ pending: number; acked: number; dead: number }> {
    const [stats, cursor, counters, held] = await Promise.all([
      this.mailboxes.hashAll(mailbox.stats),
      this.mailboxes.hashAll(mailbox.cursor),
      this.mailboxes.hashAll(mailbox.counters),
      Promise.all(mailbox.streams.map((stream) => this.mailboxes.groupPendingCount(stream, mailbox.group))),
    ]);
    let pending = -Number(cursor.early ?? 0);
    PRIORITIES.forEach((_, p) => {
      pending += Number(stats[`added:${p}`] ?? 0) - Number(cursor[`r:${p}`] ?? 0) + held[p];
    });
    return {
      pending: Math.max(0, pending),
      acked: Number(counters.acked ?? 0),
      dead: Number(counters.dead ?? 0),
    };
  }

  /**
   * The hourly retention work: trims stream entries older than the retention (never unarchived ones) and drops
   * consumers idle for longer than the retention that hold nothing. Idempotent. Returns entries removed.
   */
  async cleanupOldMessages(now = Date.now()): Promise<number> {
    const retentionMs = this.config.messages.retentionMs;
    const removed = await this.archiver.trimAll(`${Math.max(0, now - retentionMs)}-0`);
    const agents = await this.mailboxes.listAgentIds();
    for (const agentId of agents) {
      for (const mailbox of [
        this.mailboxes.keys.agentMailbox(agentId),
        this.mailboxes.keys.broadcastMailbox(agentId),
      ]) {
        for (const stream of mailbox.streams)
          await this.mailboxes.pruneIdleConsumers(stream, mailbox.group, retentionMs);
      }
      for (const stream of this.mailboxes.keys.agentMailbox(agentId).streams) {
        await this.mailboxes.pruneIdleConsumers(stream, 'archive', retentionMs);
      }
    }
    if (removed > 0)
      this.logger.log(`Retention: trimmed ${removed} stream entries older than ${retentionMs / 3_600_000} h`);
    return removed;
  }

  /** Removes every Redis key of Brain (this prefix) and nothing else. */
  async clear(): Promise<void> {
    const deleted = await this.mailboxes.deleteEverything();
    this.logger.warn(`Cleared all ContextSync data (${deleted} Redis keys)`);
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private mailboxOf(target: string, agentId: string): MailboxKeys {
    return target === BROADCAST
      ? this.mailboxes.keys.broadcastMailbox(agentId)
      : this.mailboxes.keys.agentMailbox(target);
  }

  private async readMessage(
    mailbox: MailboxKeys,
    target: string,
    location: string,
  ): Promise<ContextMessage | undefined> {
    const { priority, entryId } = parseLocation(location);
    const flat = await this.mailboxes.readEntry(mailbox.streams[priorityIndex(priority)], entryId);
    return flat ? toContextMessage(fieldsOf(flat), priority, target, 0) : undefined;
  }

  /**
   * Whether the sender is registered. Remembered for a few seconds per replica: an agent's own publishes were just
   * authenticated against the same Redis data, and only an admin publishing on behalf of an agent removed in the
   * last seconds could slip through.
   */
  private async senderExists(agentId: string): Promise<boolean> {
    const now = Date.now();
    if ((this.knownSenders.get(agentId) ?? 0) > now) return true;
    const exists = await this.mailboxes.agentExists(agentId);
    if (exists) {
      if (this.knownSenders.size >= KNOWN_SENDERS_MAX) this.knownSenders.clear();
      this.knownSenders.set(agentId, now + KNOWN_SENDER_TTL_MS);
    }
    return exists;
  }

  private checkAgentId(agentId: string, field: string): void {
    if (typeof agentId !== 'string' || !isAgentId(agentId)) {
      throw new InvalidRequestError(`${field} must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'`);
    }
  }

  private claimTtlSeconds(): number {
    // A claim outlives the stream entry it guards, so a retried publish inside the retention stays idempotent.
    return Math.ceil(this.config.messages.retentionMs / 1000) + 3600;
  }
}

/** Delivery order: priority first, then age (entry ids are time-ordered across streams). */
function mergeCandidates(a: Candidate[], b: Candidate[]): Candidate[] {
  return [...a, ...b].sort((x, y) => x.raw[0] - y.raw[0] || compareEntryIds(x.raw[1], y.raw[1]));
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

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
