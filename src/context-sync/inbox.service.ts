import { Inject, Injectable } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import {
  AgentNotFoundError,
  CredentialsRevokedError,
  InvalidRequestError,
  MessageNotFoundError,
  NotRecipientError,
} from '../common/errors';
import { CONSUMER_PATTERN } from '../common/ids';
import { MetricsService } from '../metrics/metrics.service';
import { Acknowledgement, BROADCAST, ContextMessage, PendingQuery, PRIORITIES } from './context-message';
import { ContextSyncMetrics } from './context-sync.metrics';
import { checkAgentId, MAX_COUNT, MAX_WAIT_MS, UUID } from './context-sync.rules';
import { LongPollService, Watch } from './long-poll.service';
import { broadcastMailbox, directMailbox } from './mailbox-address';
import { AckOutcome, AckStatus, FetchMode, PendingEntry } from './mailbox.replies';
import { MailboxRepository } from './mailbox.repository';
import { compareEntryIds, priorityIndex, toContextMessage } from './message-codec';

interface Candidate {
  entry: PendingEntry;
  mailbox: 'direct' | 'broadcast';
}

/** An agent's inbox: pending messages (peek or lease, with a long poll) and acknowledgements. */
@Injectable()
export class InboxService {
  private readonly acknowledged;

  constructor(
    private readonly mailboxes: MailboxRepository,
    private readonly longPoll: LongPollService,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    metrics: MetricsService,
    private readonly syncMetrics: ContextSyncMetrics,
  ) {
    this.acknowledged = metrics.counter('brain_messages_acknowledged_total', 'Acknowledgements recorded');
  }

  // ---- pending -------------------------------------------------------------------------------------------

  async getPendingMessages(agentId: string, query: PendingQuery = {}): Promise<ContextMessage[]> {
    checkAgentId(agentId, 'agentId');
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

    const deadline = Date.now() + waitMs;
    // The reads themselves check the agent is registered (no round trip of its own).
    const pending = await this.timedPending(agentId, count, query);
    if (pending === null) throw new AgentNotFoundError(agentId);
    // Something to answer, or nothing to wait for: no waiter slot needed. Shutting down: answer with what there
    // is now rather than hold the process's exit for the rest of `wait`.
    if (pending.length > 0 || waitMs === 0 || this.longPoll.isClosing) return pending;
    return this.waitForPending(agentId, count, query, deadline);
  }

  /** Holds one of the BRAIN_MAX_WAITERS slots (429 beyond them) and reads again on every wake-up until `deadline`. */
  private async waitForPending(
    agentId: string,
    count: number,
    query: PendingQuery,
    deadline: number,
  ): Promise<ContextMessage[]> {
    const slot = this.longPoll.acquireSlot();
    let watch: Watch | undefined;
    try {
      watch = await this.longPoll.watch(agentId);
      for (;;) {
        // Listening began before this read: a message published after it wakes the watch.
        // An agent deleted while its poll waits has nothing pending any more.
        const messages = (await this.timedPending(agentId, count, query)) ?? [];
        const remaining = deadline - Date.now();
        if (messages.length > 0 || remaining <= 0 || this.longPoll.isClosing) return messages;
        await watch.next(remaining);
        // The token may have been rotated away (or its agent deleted) while the poll waited: lease nothing for it.
        if (query.stillAuthorized && !(await query.stillAuthorized())) throw new CredentialsRevokedError();
      }
    } finally {
      watch?.close();
      slot.release();
    }
  }

  /** null: the agent is not registered. */
  private timedPending(
    agentId: string,
    count: number,
    query: PendingQuery,
  ): Promise<ContextMessage[] | null> {
    return this.syncMetrics.time('pending', () => this.collectPending(agentId, count, query));
  }

  /**
   * One pass over both mailboxes. Peek reads both and merges. A lease takes only what it returns, in delivery order
   * across both: it first asks the broadcast mailbox what it could hand out (ids only, usually nothing). With
   * nothing there, one script on the direct mailbox leases up to `count`, priority by priority. Otherwise it asks
   * the direct mailbox too, merges by priority and age, then leases exactly that many from each, so nothing is
   * leased and not returned. null when the agent is not registered (then nothing was read or changed).
   */
  private async collectPending(
    agentId: string,
    count: number,
    query: PendingQuery,
  ): Promise<ContextMessage[] | null> {
    const limits = PRIORITIES.map((priority) =>
      query.priority === undefined || query.priority === priority ? count : 0,
    );
    const chosen =
      query.consumer === undefined
        ? await this.peek(agentId, count, limits)
        : await this.lease(agentId, query.consumer, count, limits);
    if (chosen === null) return null;
    return chosen.map(({ entry, mailbox }) =>
      toContextMessage(
        entry.fields,
        entry.priority,
        mailbox === 'direct' ? agentId : BROADCAST,
        entry.deliveryCount,
      ),
    );
  }

  private async peek(agentId: string, count: number, limits: number[]): Promise<Candidate[] | null> {
    // Every priority is read up to its limit (not only until `count`): a peek settles the expired entries it meets.
    const all = limits.reduce((sum, n) => sum + n, 0);
    const [direct, broadcast] = await Promise.all([
      this.fetchOne(agentId, 'direct', 'peek', '', limits, all),
      this.fetchOne(agentId, 'broadcast', 'peek', '', limits, all),
    ]);
    return direct && mergeCandidates(direct, broadcast ?? []).slice(0, count);
  }

  private async lease(
    agentId: string,
    consumer: string,
    count: number,
    limits: number[],
  ): Promise<Candidate[] | null> {
    const all = limits.reduce((sum, n) => sum + n, 0);
    // A broadcast mailbox of an agent that is not a member offers nothing.
    const offered = (await this.fetchOne(agentId, 'broadcast', 'available', consumer, limits, all)) ?? [];
    if (offered.length === 0) return this.fetchOne(agentId, 'direct', 'lease', consumer, limits, count);
    const direct = await this.fetchOne(agentId, 'direct', 'available', consumer, limits, all);
    if (direct === null) return null;
    const chosen = mergeCandidates(direct, offered).slice(0, count);
    const wanted = (mailbox: 'direct' | 'broadcast') =>
      PRIORITIES.map(
        (priority) => chosen.filter((c) => c.mailbox === mailbox && c.entry.priority === priority).length,
      );
    const leased = await Promise.all(
      (['direct', 'broadcast'] as const).map((mailbox) => {
        const perPriority = wanted(mailbox);
        const total = perPriority.reduce((sum, n) => sum + n, 0);
        return total > 0
          ? this.fetchOne(agentId, mailbox, 'lease', consumer, perPriority, total)
          : Promise.resolve([]);
      }),
    );
    return mergeCandidates(leased[0] ?? [], leased[1] ?? []);
  }

  private async fetchOne(
    agentId: string,
    mailbox: 'direct' | 'broadcast',
    mode: FetchMode,
    consumer: string,
    limits: number[],
    total: number,
  ): Promise<Candidate[] | null> {
    const { entries, deadLettered, expired, recipientKnown } = await this.mailboxes.fetch(
      { kind: mailbox, agentId },
      {
        mode,
        consumer,
        visibilityMs: this.config.messages.visibilityTimeoutMs,
        maxDeliveries: this.config.messages.maxDeliveries,
        nowMs: Date.now(),
        limits,
        total,
      },
    );
    if (!recipientKnown) return null;
    if (mode === 'lease') this.syncMetrics.count(agentId, 'delivered', entries.length);
    this.syncMetrics.count(agentId, 'dead_lettered', deadLettered);
    this.syncMetrics.count(agentId, 'expired', expired);
    return entries.map((entry) => ({ entry, mailbox }));
  }

  // ---- acknowledge ---------------------------------------------------------------------------------------

  async acknowledge(messageId: string, agentId: string): Promise<Acknowledgement> {
    checkAgentId(agentId, 'agentId');
    if (!UUID.test(messageId)) throw new InvalidRequestError('messageId must be a lowercase uuid');
    const [result] = await this.syncMetrics.time('ack', () => this.acknowledgeIds(agentId, [messageId]));
    if (result.status === AckStatus.NotFound) throw new MessageNotFoundError(messageId);
    if (result.status === AckStatus.NotRecipient) throw new NotRecipientError(messageId, agentId);
    return { id: messageId, agentId, acknowledged: true, acknowledgedAt: new Date(result.at).toISOString() };
  }

  /** Returns how many of `ids` are acknowledged by the agent after the call (unknown ids are skipped). */
  async acknowledgeMany(agentId: string, ids: string[]): Promise<number> {
    checkAgentId(agentId, 'agentId');
    if (ids.length < 1 || ids.length > MAX_COUNT) {
      throw new InvalidRequestError(`ids must hold 1 to ${MAX_COUNT} uuids`);
    }
    if (!ids.every((id) => UUID.test(id)))
      throw new InvalidRequestError('each of ids must be a lowercase uuid');
    const results = await this.syncMetrics.time('ack', () => this.acknowledgeIds(agentId, [...new Set(ids)]));
    return results.filter(
      (result) => result.status === AckStatus.Acknowledged || result.status === AckStatus.AlreadyAcknowledged,
    ).length;
  }

  /**
   * One script call for the whole batch in the agent's direct mailbox; the ids not found there (broadcasts) in one
   * more call on the broadcast mailbox. An id lives in at most one of them.
   */
  private async acknowledgeIds(agentId: string, ids: string[]): Promise<AckOutcome[]> {
    const now = Date.now();
    const direct = await this.mailboxes.acknowledge(directMailbox(agentId), ids, now);
    const missing = ids.filter((_, i) => direct[i].status === AckStatus.NotFound);
    const broadcast =
      missing.length > 0 ? await this.mailboxes.acknowledge(broadcastMailbox(agentId), missing, now) : [];
    const fromBroadcast = new Map(missing.map((id, i) => [id, broadcast[i]]));
    const results = ids.map((id, i) => fromBroadcast.get(id) ?? direct[i]);
    const acknowledgedNow = results.filter((result) => result.status === AckStatus.Acknowledged).length;
    this.acknowledged.inc(acknowledgedNow);
    this.syncMetrics.count(agentId, 'acknowledged', acknowledgedNow);
    return results;
  }
}

/** Delivery order: priority first, then age (entry ids are time-ordered across streams). */
function mergeCandidates(a: Candidate[], b: Candidate[]): Candidate[] {
  // Each mailbox answers in delivery order already.
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...a, ...b].sort(
    (x, y) =>
      priorityIndex(x.entry.priority) - priorityIndex(y.entry.priority) ||
      compareEntryIds(x.entry.entryId, y.entry.entryId),
  );
}
