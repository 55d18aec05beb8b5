import { Injectable } from '@nestjs/common';
import {
  AgentNotFoundError,
  AlreadyAcknowledgedError,
  DeadLetterNotFoundError,
  InvalidRequestError,
} from '../common/errors';
import { BROADCAST, ContextMessage, DeadLetter } from './context-message';
import { checkAgentId, MAX_COUNT, UUID } from './context-sync.rules';
import { broadcastMailbox, directMailbox } from './mailbox-address';
import { MailboxRepository } from './mailbox.repository';
import { toContextMessage, toDeadLetter } from './message-codec';
import { ENTRY_FIELDS } from './redis-schema';

/** An agent's dead letters: listing them, and requeueing one (a broadcast's as a copy in the direct mailbox). */
@Injectable()
export class DeadLettersService {
  constructor(private readonly mailboxes: MailboxRepository) {}

  async listDeadLetters(agentId: string, limit = 100): Promise<DeadLetter[]> {
    checkAgentId(agentId, 'agentId');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_COUNT)
      throw new InvalidRequestError(`limit must be an integer from 1 to ${MAX_COUNT}`);
    if (!(await this.mailboxes.agentExists(agentId))) throw new AgentNotFoundError(agentId);
    const [own, fromBroadcasts] = await Promise.all([
      this.mailboxes.newestDeadLetters(directMailbox(agentId), limit),
      this.mailboxes.newestDeadLetters(broadcastMailbox(agentId), limit),
    ]);
    return [
      ...own.map((fields) => toDeadLetter(fields, agentId)),
      ...fromBroadcasts.map((fields) => toDeadLetter({ ...fields, [ENTRY_FIELDS.to]: BROADCAST }, agentId)),
    ]
      .sort((a, b) => b.deadAt.localeCompare(a.deadAt))
      .slice(0, limit);
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
