import { Injectable } from '@nestjs/common';
import { Principal } from '../agents/auth/principal';
import {
  AgentNotFoundError,
  ForbiddenActionError,
  InvalidRequestError,
  MessageNotFoundError,
} from '../common/errors';
import { BrainAI } from './brain-ai.service';

/**
 * Object-level rules of the contract, in one place. An agent acts only as itself; the admin acts for any agent but
 * must say which. Controllers call these after validation, so bad input is a 400 before any of this runs.
 */
@Injectable()
export class AccessPolicy {
  constructor(private readonly brain: BrainAI) {}

  requireAdmin(caller: Principal, action: string): void {
    if (caller.kind !== 'admin') throw new ForbiddenActionError(`only the admin may ${action}`);
  }

  /** For routes of "that agent": the agent itself, or the admin (then the agent must exist, else 404). */
  async actAs(caller: Principal, agentId: string): Promise<void> {
    if (caller.kind === 'agent') {
      if (caller.agentId !== agentId) throw notAllowed(caller.agentId, agentId);
      return;
    }
    if (!(await this.brain.isRegistered(agentId))) throw new AgentNotFoundError(agentId);
  }

  /**
   * For reads of "that agent, admin" that outlive the agent (history): the agent itself or the admin, with no
   * registration check, because a deleted agent's history stays readable.
   */
  readAs(caller: Principal, ...agentIds: string[]): void {
    if (caller.kind === 'agent' && !agentIds.includes(caller.agentId)) {
      throw notAllowed(caller.agentId, agentIds.join("' or '"));
    }
  }

  /** Who sends a message: the calling agent (`sourceAgent` may repeat it); the admin must name the sender. */
  senderOf(caller: Principal, sourceAgent: string | undefined): string {
    if (caller.kind === 'agent') {
      if (sourceAgent !== undefined && sourceAgent !== caller.agentId)
        throw notAllowed(caller.agentId, sourceAgent);
      return caller.agentId;
    }
    if (!sourceAgent) throw new InvalidRequestError('sourceAgent is required when the admin publishes');
    return sourceAgent;
  }

  /** Who acknowledges: the calling agent (`agentId` may repeat it); the admin must name the recipient. */
  recipientOf(caller: Principal, agentId: string | undefined): string {
    if (caller.kind === 'agent') {
      if (agentId !== undefined && agentId !== caller.agentId) throw notAllowed(caller.agentId, agentId);
      return caller.agentId;
    }
    if (!agentId) throw new InvalidRequestError('agentId is required when the admin acknowledges');
    return agentId;
  }

  /**
   * A message is visible to its sender, its recipients and the admin. To anyone else it does not exist (404, the
   * same answer as for an unknown id), so message ids reveal nothing about other agents' traffic. An agent sees only
   * the messages of its current incarnation: a deleted id registered again sees none of the old agent's.
   */
  async assertCanRead(
    caller: Principal,
    messageId: string,
    message: { fromAgent: string; timestamp: string },
    recipients: string[],
  ): Promise<void> {
    if (caller.kind === 'admin') return;
    if (caller.agentId === message.fromAgent || recipients.includes(caller.agentId)) {
      const registeredAt = (await this.brain.getAgent(caller.agentId)).createdAt.getTime();
      if (Date.parse(message.timestamp) >= registeredAt) return;
    }
    throw new MessageNotFoundError(messageId);
  }
}

const notAllowed = (caller: string, target: string) =>
  new ForbiddenActionError(`agent '${caller}' may not act as agent '${target}'`);
