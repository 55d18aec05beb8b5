import { Injectable } from '@nestjs/common';
import { AgentNotFoundError, InvalidRequestError, NoCapableAgentError } from '../common/errors';
import { isSafeText, SAFE_TEXT_RULE } from '../common/json-input';
import { MAX_CAPABILITY_LENGTH } from '../common/limits';
import { AgentRegistryRepository } from './agent-registry.repository';
import { PublishResult, RoutedShareRequest } from './context-message';
import { checkAgentId } from './context-sync.rules';
import { MailboxStatsService } from './mailbox-stats.service';
import { MailboxRepository } from './mailbox.repository';
import { MessagePublisherService } from './message-publisher.service';

/**
 * Routing by capability: among the registered agents offering it (never the sender), the one with the fewest
 * pending messages; ties go to the one routed to least recently, then to the smaller id. Everything it reads is in
 * Redis (capability sets, counters), so routing works while Postgres is down.
 */
@Injectable()
export class CapabilityRouterService {
  constructor(
    private readonly agents: AgentRegistryRepository,
    private readonly mailboxes: MailboxRepository,
    private readonly stats: MailboxStatsService,
    private readonly publisher: MessagePublisherService,
  ) {}

  async route(request: RoutedShareRequest): Promise<PublishResult> {
    const capability = capabilityOf(request.routing);
    checkAgentId(request.sourceAgent, 'sourceAgent');
    const routedBy = `capability:${capability}`;
    // A retried publish with its own id goes where the first attempt went, not to whoever is least loaded now.
    const earlier =
      request.id !== undefined ? await this.earlierTarget(request.id, request.sourceAgent) : null;
    if (earlier) return this.publisher.route(request, earlier, routedBy);

    const tried = new Set<string>();
    for (;;) {
      const candidates = (await this.agents.capableAgents(capability)).filter(
        (agentId) => agentId !== request.sourceAgent && !tried.has(agentId),
      );
      if (candidates.length === 0) throw new NoCapableAgentError(capability);
      const target = await this.leastLoaded(capability, candidates);
      try {
        const result = await this.publisher.route(request, target, routedBy);
        if (result.created) await this.agents.markRouted(capability, target, Date.now());
        return result;
      } catch (error) {
        // Unregistered since it was listed (or a delete raced with its registration): the next candidate.
        if (!(error instanceof AgentNotFoundError) || error.agentId !== target) throw error;
        if (!(await this.mailboxes.agentExists(target)))
          await this.agents.leaveCapability(capability, target);
        tried.add(target);
      }
    }
  }

  private async leastLoaded(capability: string, candidates: string[]): Promise<string> {
    const [pending, lastRouted] = await Promise.all([
      Promise.all(candidates.map(async (agentId) => (await this.stats.agentStats(agentId)).pendingMessages)),
      this.agents.lastRouted(capability, candidates),
    ]);
    let best = 0;
    for (let i = 1; i < candidates.length; i++) {
      if (pending[i] < pending[best] || (pending[i] === pending[best] && lastRouted[i] < lastRouted[best]))
        best = i;
    }
    return candidates[best];
  }

  private async earlierTarget(messageId: string, sourceAgent: string): Promise<string | null> {
    const claim = await this.mailboxes.readOwner(messageId);
    if (!claim) return null;
    const [sender, target] = claim.split(' ');
    return sender === sourceAgent ? target : null;
  }
}

/** `capability` is the contract's name; `type`, the design note's, is accepted in-process as an alias. */
function capabilityOf(routing: RoutedShareRequest['routing'] | undefined): string {
  const capability =
    routing && typeof routing === 'object'
      ? 'capability' in routing
        ? routing.capability
        : 'type' in routing
          ? routing.type
          : undefined
      : undefined;
  if (typeof capability !== 'string' || capability.length < 1 || capability.length > MAX_CAPABILITY_LENGTH)
    throw new InvalidRequestError(
      `routing.capability must be a string of 1..${MAX_CAPABILITY_LENGTH} characters`,
    );
  if (!isSafeText(capability)) throw new InvalidRequestError(`routing.capability ${SAFE_TEXT_RULE}`);
  return capability;
}
