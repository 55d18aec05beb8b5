import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { brainConfig, BrainConfigType } from '../../config/brain.config';
import { ThrottlerException } from '@nestjs/throttler';
import { AgentsService } from '../agents.service';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { bearerToken } from './agent-token';
import { AuthenticatedRequest, Principal } from './principal';
import { RATE_LIMIT_WINDOW_MS } from './redis-throttler.storage';

/** The 401 answer's message, on every route that needs a token (REST and /mcp). */
export const BEARER_TOKEN_REQUIRED = 'a valid bearer token is required (Authorization: Bearer <token>)';

/** Routes under /v1 need a bearer token; health, metrics and the docs stay public. Decided by the route pattern. */
export const isProtectedRoute = (routePattern: string | undefined): boolean =>
  routePattern === '/v1' || (routePattern ?? '').startsWith('/v1/');

/**
 * Global guard: establishes who calls (`request.principal`) or answers 401. It checks identity only; what a caller
 * may do with a given agent or message is decided per route (brain/access.policy.ts), after input validation.
 */
@Injectable()
export class AuthGuard implements CanActivate, OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly agents: AgentsService,
    private readonly failures: AuthFailureLimiter,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.auth.enabled) {
      this.logger.warn(
        'BRAIN_AUTH=off: every request acts as the admin, with no token. For local development only.',
      );
    } else if (this.config.auth.adminTokenGenerated) {
      this.logger.warn(
        `BRAIN_ADMIN_TOKEN is not set; generated one for this run: ${this.config.auth.adminToken}`,
      );
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & AuthenticatedRequest>();
    if (!isProtectedRoute(request.routeOptions?.url)) return true;
    await this.identify(request, http.getResponse<FastifyReply>());
    return true;
  }

  /**
   * Sets `request.principal` (and the rate limit's count) from the bearer token, or throws 401, or 429 for an
   * address with too many failed authentications. Also /mcp's check, so guesses there count and are refused alike.
   */
  async identify(request: FastifyRequest & AuthenticatedRequest, reply: FastifyReply): Promise<Principal> {
    const blockedFor = this.failures.blockedFor(request.ip);
    if (blockedFor > 0) throw this.tooManyFailures(reply, blockedFor);
    // The rate limit's count rides along in the token check's script (AgentThrottlerGuard then reads it).
    const windowMs = this.config.auth.rateLimitPerMinute > 0 ? RATE_LIMIT_WINDOW_MS : 0;
    const authenticated = await this.agents.authenticateAndCount(
      bearerToken(request.headers.authorization),
      windowMs,
    );
    if (!authenticated) {
      const nowBlockedFor = await this.failures.recordFailure(request.ip);
      if (nowBlockedFor > 0) throw this.tooManyFailures(reply, nowBlockedFor);
      void reply.header('WWW-Authenticate', 'Bearer realm="brain"');
      throw new UnauthorizedException(BEARER_TOKEN_REQUIRED);
    }
    request.principal = authenticated.principal;
    request.rateLimitCount = authenticated.counted;
    return authenticated.principal;
  }

  private tooManyFailures(reply: FastifyReply, seconds: number): ThrottlerException {
    void reply.header('Retry-After', String(seconds));
    return new ThrottlerException(
      `too many failed authentications from this address (more than ${this.failures.limit} per minute); retry after ${seconds} s`,
    );
  }
}
