import { Inject, Injectable } from '@nestjs/common';
import {
  AgentNotFoundError,
  AlreadyAcknowledgedError,
  DeadLetterNotFoundError,
  InvalidRequestError,
} from '../common/errors';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { BROADCAST, ContextMessage, DeadLetter, DeadLetterPage } from './context-message';
import { checkAgentId, MAX_COUNT, UUID } from './context-sync.rules';
import { decodeDeadLetterCursor, encodeDeadLetterCursor } from './dead-letter-page';
import { broadcastMailbox, directMailbox, Mailbox } from './mailbox-address';
import { MailboxRepository } from './mailbox.repository';
import { EntryFields, toContextMessage, toDeadLetter } from './message-codec';
import { ENTRY_FIELDS } from './redis-schema';

/** Dead letters read from one stream at a time while a page fills: a request holds at most this many. */
const READ_BATCH = 32;
/** `{"items":[],"nextCursor":"…"}` around the letters, counted toward the page's bytes. */
const PAGE_ENVELOPE_BYTES = 128;

/** An agent's dead letters: listing them, and requeueing one (a broadcast's as a copy in the direct mailbox). */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly mailboxes: MailboxRepository,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  /** The newest `limit` dead letters of the agent (in-process API; REST pages with deadLetterPage). */
  async listDeadLetters(agentId: string, limit = 100): Promise<DeadLetter[]> {
    return (await this.page(agentId, limit, undefined, Infinity)).items;
  }

  /**
   * A page of the agent's dead letters, direct and broadcast ones merged newest first: at most `limit` of them and
   * BRAIN_MAX_PAGE_BYTES of JSON (a first letter larger than that comes alone, so paging moves on).
   */
  deadLetterPage(agentId: string, limit = 100, cursor?: string): Promise<DeadLetterPage> {
    return this.page(agentId, limit, cursor, this.config.memory.maxPageBytes);
  }

  private async page(agentId: string, limit: number, cursor: string | undefined, maxBytes: number) {
    checkAgentId(agentId, 'agentId');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_COUNT)
      throw new InvalidRequestError(`limit must be an integer from 1 to ${MAX_COUNT}`);
    const position = decodeDeadLetterCursor(cursor);
    if (!(await this.mailboxes.agentExists(agentId))) throw new AgentNotFoundError(agentId);
    const direct = this.source(directMailbox(agentId), position.direct, (fields) =>
      toDeadLetter(fields, agentId),
    );
    const broadcast = this.source(broadcastMailbox(agentId), position.broadcast, (fields) =>
      toDeadLetter({ ...fields, [ENTRY_FIELDS.to]: BROADCAST }, agentId),
    );
    const items: DeadLetter[] = [];
    let bytes = PAGE_ENVELOPE_BYTES;
    while (items.length < limit) {
      const [own, shared] = [await direct.head(), await broadcast.head()];
      const next = own && (!shared || own.deadAt >= shared.deadAt) ? direct : shared ? broadcast : null;
      if (!next) return { items, nextCursor: null };
      const size = Buffer.byteLength(JSON.stringify(await next.head())) + 1;
      if (items.length > 0 && bytes + size > maxBytes) break;
      items.push(next.take());
      bytes += size;
    }
    const more = (await direct.head()) !== null || (await broadcast.head()) !== null;
    const nextCursor = more
      ? encodeDeadLetterCursor({ direct: direct.position, broadcast: broadcast.position })
      : null;
    return { items, nextCursor };
  }

  /** One dead-letter stream read newest first in batches from `position` (exclusive), as a merge source. */
  private source(mailbox: Mailbox, position: string | null, decode: (fields: EntryFields) => DeadLetter) {
    const mailboxes = this.mailboxes;
    let buffer: [string, DeadLetter][] = [];
    let exhausted = false;
    return {
      position,
      async head(): Promise<DeadLetter | null> {
        if (buffer.length === 0 && !exhausted) {
          const read = await mailboxes.deadLettersBefore(mailbox, this.position, READ_BATCH);
          exhausted = read.length < READ_BATCH;
          buffer = read.map(([entryId, fields]) => [entryId, decode(fields)]);
        }
        return buffer[0]?.[1] ?? null;
      },
      take(): DeadLetter {
        const [entryId, letter] = buffer.shift()!;
        this.position = entryId;
        return letter;
      },
    };
  }

  /**
   * Makes a dead letter pending again for the agent, with a fresh delivery count. Found by id through the dead-letter
   * index. A message the agent has acknowledged is never delivered again: 409.
   */
  async requeueDeadLetter(agentId: string, messageId: string): Promise<ContextMessage> {
    checkAgentId(agentId, 'agentId');
    if (!UUID.test(messageId)) throw new InvalidRequestError('messageId must be a lowercase uuid');
    let outcome = await this.mailboxes.requeueOwn(agentId, messageId);
    if (outcome.status === 'missing') {
      // A broadcast that died for this agent: copy it into the agent's own mailbox, then drop the dead letter.
      const fields = await this.mailboxes.readDeadLetter(broadcastMailbox(agentId), messageId);
      if (fields) {
        outcome = await this.mailboxes.requeueCopy(agentId, messageId, fields);
        await this.mailboxes.dropBroadcastDeadLetter(agentId, messageId);
      } else if ((await this.mailboxes.readAcked(broadcastMailbox(agentId), messageId)) === 'acknowledged') {
        outcome = { status: 'acknowledged' };
      }
    }
    if (outcome.status === 'acknowledged') throw new AlreadyAcknowledgedError(messageId, agentId);
    if (outcome.status === 'missing') throw new DeadLetterNotFoundError(messageId, agentId);
    return toContextMessage(outcome.fields, outcome.priority, agentId, 0);
  }
}
