import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import {
  AgentNotFoundError,
  InvalidRequestError,
  MessageIdConflictError,
  MessageNotFoundError,
} from '../common/errors';
import { MetricsService } from '../metrics/metrics.service';
import {
  BROADCAST,
  BroadcastRequest,
  ContextMessage,
  PRIORITIES,
  Priority,
  PublishResult,
  ShareRequest,
} from './context-message';
import { ContextSyncMetrics } from './context-sync.metrics';
import { checkAgentId, UUID } from './context-sync.rules';
import { mailboxOf } from './mailbox-address';
import { optionalEntryFields } from './message-codec';
import { PublishStatus } from './mailbox.replies';
import { MailboxRepository } from './mailbox.repository';
import { DelayedDeliveryService, toDelayedContextMessage } from './delayed-delivery.service';
import { DelayedPublish } from './delayed.repository';
import { checkedType } from '../common/ids';
import { MAX_PUBLISH_DELAY_MS } from '../common/limits';
import { MemoryService } from '../memory/memory.service';
import { pairTag, taggedMessageId, tagOf } from './message-ids';

const KNOWN_SENDER_TTL_MS = 5000;
const KNOWN_SENDERS_MAX = 100_000;
const TAG_RECORD_TTL_MS = 10_000;
/** The published counter's label sets, one object per kind and priority rather than one per publish. */
const labelsOf = (kind: 'direct' | 'broadcast') =>
  Object.fromEntries(PRIORITIES.map((priority) => [priority, { kind, priority }])) as Record<
    Priority,
    { kind: string; priority: Priority }
  >;
const DIRECT_LABELS = labelsOf('direct');
const BROADCAST_LABELS = labelsOf('broadcast');

/** Publishing: share and broadcast, the id claims that make a retried publish idempotent, the known-senders cache. */
@Injectable()
export class MessagePublisherService {
  private readonly published;
  private readonly knownSenders = new Map<string, number>();
  private readonly pairTags = new Map<string, { tag: string; recordedUntil: number }>();

  constructor(
    private readonly mailboxes: MailboxRepository,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    metrics: MetricsService,
    private readonly syncMetrics: ContextSyncMetrics,
    private readonly delayed: DelayedDeliveryService,
    private readonly memory: MemoryService,
  ) {
    this.published = metrics.counter('brain_messages_published_total', 'Messages accepted (201)', [
      'kind',
      'priority',
    ]);
  }

  async share(request: ShareRequest): Promise<PublishResult> {
    checkAgentId(request.targetAgent, 'targetAgent');
    const startedAt = performance.now();
    const result = await this.publish(request, request.targetAgent);
    this.syncMetrics.observe('share', startedAt);
    return result;
  }

  async broadcast(request: BroadcastRequest): Promise<PublishResult> {
    return this.syncMetrics.time('broadcast', () => this.publish(request, BROADCAST));
  }

  /** An unregistered agent publishes no more, even from this replica's cache. */
  forgetSender(agentId: string): void {
    this.knownSenders.delete(agentId);
  }

  /** A message to `target`, chosen by routing: `routedBy` says how ("capability:<name>"). */
  async route(request: BroadcastRequest, target: string, routedBy: string): Promise<PublishResult> {
    checkAgentId(target, 'targetAgent');
    return this.syncMetrics.time('share', () => this.publish(request, target, routedBy));
  }

  private async publish(
    request: BroadcastRequest,
    target: string,
    routedBy?: string,
  ): Promise<PublishResult> {
    checkAgentId(request.sourceAgent, 'sourceAgent');
    const priority = request.priority ?? 'medium';
    if (!PRIORITIES.includes(priority))
      throw new InvalidRequestError(`priority must be one of ${PRIORITIES.join(', ')}`);
    if (request.id !== undefined && !UUID.test(request.id))
      throw new InvalidRequestError('id must be a lowercase uuid');
    const type = checkedType(request.type);
    const inReplyTo = request.inReplyTo ?? null;
    if (inReplyTo !== null && !UUID.test(inReplyTo))
      throw new InvalidRequestError('inReplyTo must be a lowercase uuid');
    if (typeof request.context !== 'object' || request.context === null || Array.isArray(request.context)) {
      throw new InvalidRequestError('context must be a JSON object');
    }
    const ttlMs = this.ttlMsOf(request.ttlSeconds);
    const delayMs = request.delayMs ?? 0;
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_PUBLISH_DELAY_MS)
      throw new InvalidRequestError(`delayMs must be an integer from 0 to ${MAX_PUBLISH_DELAY_MS}`);
    const owner = `${request.sourceAgent} ${target}`;
    const clientChosenId = request.id !== undefined;
    // Brain's own ids carry their pair's tag (message-ids.ts): unique and findable with no claim key per message. A
    // delayed message is in no slot until it is due, so its claim is what finds it: a plain uuid, claimed.
    const tag = clientChosenId || delayMs > 0 ? null : this.tagOfPair(owner);
    const id = request.id ?? (tag === null ? randomUUID() : taggedMessageId(tag));
    // An id the client chose may be a retry (or a reuse): claim it first.
    const claimedBefore = clientChosenId ? await this.claimClientId(id, owner) : null;
    if (!this.senderKnown(request.sourceAgent) && !(await this.senderExists(request.sourceAgent))) {
      if (clientChosenId && claimedBefore === null) await this.mailboxes.releaseClaim(id);
      throw new AgentNotFoundError(request.sourceAgent);
    }

    const timestampMs = Date.now();
    const expiresAtMs = ttlMs === undefined ? undefined : timestampMs + ttlMs;
    if (delayMs > 0) {
      const payload = JSON.stringify(request.context);
      const message = {
        id,
        from: request.sourceAgent,
        to: target,
        type: type ?? '',
        payload,
        timestampMs,
        inReplyTo,
        routedBy: routedBy ?? null,
        expiresAtMs,
      };
      return this.publishLater({ ...message, priority, deliverAtMs: timestampMs + delayMs }, claimedBefore);
    }
    const mailbox = mailboxOf(target, request.sourceAgent);
    const publishing = this.mailboxes.publish(mailbox, {
      id,
      from: request.sourceAgent,
      type: type ?? '',
      payload: JSON.stringify(request.context),
      timestampMs,
      priority,
      optional: optionalEntryFields({ inReplyTo, routedBy, expiresAtMs }),
    });
    // The pair's tag is recorded every few seconds only, in the same round trip; most publishes wait for one call.
    const recording = tag === null ? undefined : this.recordTagIfDue(tag, owner);
    const [outcome] =
      recording === undefined ? [await publishing] : await Promise.all([publishing, recording]);
    if (outcome.status === PublishStatus.NoRecipient) {
      if (clientChosenId && claimedBefore === null) await this.mailboxes.releaseClaim(id);
      throw new AgentNotFoundError(target);
    }
    if (outcome.status === PublishStatus.Duplicate) {
      // Published before: answer with the original message, as stored.
      const original = await this.mailboxes.readMessage(mailbox, target, outcome.location);
      if (!original) throw new MessageNotFoundError(id);
      // A retry carries the same message; the same id for a different one is a client bug, never a silent 200.
      if (!sameMessage(original, request, priority, type)) throw new MessageIdConflictError(id);
      return { message: original, created: false };
    }
    this.published.inc(target === BROADCAST ? BROADCAST_LABELS[priority] : DIRECT_LABELS[priority]);
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
        type,
        deliveryCount: 0,
        inReplyTo,
        expiresAt: expiresAtMs === undefined ? null : new Date(expiresAtMs).toISOString(),
        deliverAt: null,
        routedBy: routedBy ?? null,
      },
    };
  }

  /**
   * A delayed publish: kept in the delayed queue (one more round trip than a plain publish, only for these) after
   * the id is claimed. A retry of an id already delivered answers with the message as stored in its mailbox.
   */
  private async publishLater(message: DelayedPublish, claimedBefore: string | null): Promise<PublishResult> {
    const mailbox = mailboxOf(message.to, message.from);
    if (claimedBefore === null)
      await this.mailboxes.claimMessageId(
        message.id,
        `${message.from} ${message.to}`,
        this.claimTtlSeconds(),
      );
    const fail = async (error: Error) => {
      if (claimedBefore === null) await this.mailboxes.releaseClaim(message.id);
      throw error;
    };
    if (message.to !== BROADCAST && !(await this.mailboxes.agentExists(message.to)))
      return fail(new AgentNotFoundError(message.to));
    if (claimedBefore !== null) {
      const location = await this.mailboxes.readLocation(mailbox, message.id);
      const delivered = location && (await this.mailboxes.readMessage(mailbox, message.to, location));
      if (delivered) return { message: delivered, created: false };
    }
    const kept = await this.delayed.keep(message);
    if (kept.created) {
      this.published.inc({
        kind: message.to === BROADCAST ? 'broadcast' : 'direct',
        priority: message.priority,
      });
      this.syncMetrics.count(message.from, 'published');
    }
    return { message: toDelayedContextMessage(kept.message), created: kept.created };
  }

  /**
   * Claims an id the client chose for `owner` ("<sender> <target>"); 409 if another pair has it. Returns the earlier
   * claim (a retry) or null. An id of the tagged layout may also be one Brain chose for another pair, which has no
   * claim: its tag's pairs are looked up in Redis, then the archive (after Redis trimmed it).
   */
  private async claimClientId(id: string, owner: string): Promise<string | null> {
    const claimedBefore = await this.mailboxes.claimMessageId(id, owner, this.claimTtlSeconds());
    if (claimedBefore !== null && claimedBefore !== owner) throw new MessageIdConflictError(id);
    if (claimedBefore === null && tagOf(id) !== null) {
      let other = await this.mailboxes.taggedOwner(id);
      if (other === null) {
        const archived = await this.memory.findArchivedMessage(id);
        other = archived && `${archived.message.fromAgent} ${archived.message.toAgent}`;
      }
      if (other !== null && other !== owner) {
        await this.mailboxes.releaseClaim(id);
        throw new MessageIdConflictError(id);
      }
    }
    return claimedBefore;
  }

  /** The tag of a pair's ids, computed once per pair (the map is bounded like the known senders). */
  private tagOfPair(owner: string): string {
    let known = this.pairTags.get(owner);
    if (known === undefined) {
      if (this.pairTags.size >= KNOWN_SENDERS_MAX) this.pairTags.clear();
      known = { tag: pairTag(owner), recordedUntil: 0 };
      this.pairTags.set(owner, known);
    }
    return known.tag;
  }

  /**
   * Records the pair under its tag in Redis (what finds a tagged id), again every few seconds per pair and replica
   * so that data cleared meanwhile is recorded again; in the publish's round trip, before the 201. Undefined when
   * it was recorded recently.
   */
  private recordTagIfDue(tag: string, owner: string): Promise<void> | undefined {
    const known = this.pairTags.get(owner);
    const now = Date.now();
    if (known && known.recordedUntil > now) return undefined;
    return this.mailboxes.recordIdTag(tag, owner).then(() => {
      if (known) known.recordedUntil = now + TAG_RECORD_TTL_MS;
    });
  }

  /** Everything was cleared: the pairs' tags are recorded again on their next publish. */
  forgetIdTags(): void {
    this.pairTags.clear();
  }

  /**
   * Whether the sender is registered, asked of Redis (callers look in senderKnown first). A yes is remembered for a
   * few seconds per replica: an agent's own publishes were just authenticated against the same Redis data, and only
   * an admin publishing on behalf of an agent removed in the last seconds could slip through.
   */
  private async senderExists(agentId: string): Promise<boolean> {
    const exists = await this.mailboxes.agentExists(agentId);
    if (exists) {
      if (this.knownSenders.size >= KNOWN_SENDERS_MAX) this.knownSenders.clear();
      this.knownSenders.set(agentId, Date.now() + KNOWN_SENDER_TTL_MS);
    }
    return exists;
  }

  /** Whether the sender was found registered in the last few seconds (no await: most publishes take this path). */
  private senderKnown(agentId: string): boolean {
    return (this.knownSenders.get(agentId) ?? 0) > Date.now();
  }

  /** A TTL may not outlive the retention: past it the entry may be trimmed, and with it the expiry. */
  private ttlMsOf(ttlSeconds: number | undefined): number | undefined {
    if (ttlSeconds === undefined) return undefined;
    const max = Math.floor(this.config.messages.retentionMs / 1000);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > max)
      throw new InvalidRequestError(
        `ttlSeconds must be an integer from 1 to ${max} (BRAIN_RETENTION_HOURS × 3600)`,
      );
    return ttlSeconds * 1000;
  }

  private claimTtlSeconds(): number {
    // A claim outlives the stream entry it guards, so a retried publish inside the retention stays idempotent.
    return Math.ceil(this.config.messages.retentionMs / 1000) + 3600;
  }
}

/** Whether a repeated publish is the stored message again (payload compared as JSON, key order aside). */
function sameMessage(
  original: ContextMessage,
  request: BroadcastRequest,
  priority: Priority,
  type: string | null,
): boolean {
  return (
    original.priority === priority &&
    original.type === type &&
    isDeepStrictEqual(original.payload, request.context)
  );
}
