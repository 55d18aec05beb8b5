import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail, ThrottlerOptions, ThrottlerRequest } from '@nestjs/throttler';
import { AuthenticatedRequest } from './principal';
import {
  RATE_LIMIT_THROTTLER,
  RATE_LIMIT_WINDOW_MS,
  RequestCount,
  throttlerRecord,
} from './redis-throttler.storage';

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

  /**
   * A request that AuthGuard counted already is judged on that count, as the storage would judge it, with the same
   * headers and 429: no second round trip to Redis.
   */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const counted = (this.getRequestResponse(props.context).req as AuthenticatedRequest).rateLimitCount;
    if (!counted || !this.countAnswers(props.throttler.name, props.ttl)) return super.handleRequest(props);
    await this.judge(props.context, counted, props.limit, props.ttl, props.throttler);
    return true;
  }

  /** Whether AuthGuard's count is this throttler's: the one counter it increments, with its window. */
  private countAnswers(name: string | undefined, ttl: unknown): boolean {
    return name === RATE_LIMIT_THROTTLER && ttl === RATE_LIMIT_WINDOW_MS;
  }

  private async judge(
    context: ExecutionContext,
    counted: RequestCount,
    limit: number,
    ttl: number,
    throttler: ThrottlerOptions,
  ): Promise<void> {
    const { req, res } = this.getRequestResponse(context);
    const tracker = await this.getTracker(req as AuthenticatedRequest);
    const record = throttlerRecord(counted, limit);
    const setHeaders = throttler.setHeaders ?? this.commonOptions.setHeaders ?? true;
    if (record.isBlocked) {
      if (setHeaders) this.setResponseHeader(res, 'Retry-After', record.timeToBlockExpire);
      await this.throwThrottlingException(context, { limit, ttl, key: tracker, tracker, ...record });
    }
    if (setHeaders) {
      this.setResponseHeader(res, `${this.headerPrefix}-Limit`, limit);
      this.setResponseHeader(res, `${this.headerPrefix}-Remaining`, Math.max(0, limit - record.totalHits));
      this.setResponseHeader(res, `${this.headerPrefix}-Reset`, record.timeToExpire);
    }
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
