import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler';
import { AuthenticatedRequest } from './principal';

/**
 * Limits requests per agent (not per IP: agents often share an egress address), across all routes together.
 * Runs after AuthGuard; the admin and unauthenticated public routes are not limited.
 */
@Injectable()
export class AgentThrottlerGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    return Promise.resolve(principal?.kind !== 'agent');
  }

  protected override getTracker(request: AuthenticatedRequest): Promise<string> {
    return Promise.resolve(request.principal?.kind === 'agent' ? request.principal.agentId : '');
  }

  /** The agent id itself: RedisThrottlerStorage turns it into the agent's hash-tagged counter key. */
  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return tracker;
  }

  protected override getErrorMessage(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<string> {
    return Promise.resolve(
      `agent '${detail.tracker}' exceeded its limit of ${detail.limit} requests per minute; retry after ${detail.timeToBlockExpire} s`,
    );
  }
}
