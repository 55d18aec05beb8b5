import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { RequestCount } from './redis-throttler.storage';

/** Who is calling: the admin (BRAIN_ADMIN_TOKEN, or anyone while BRAIN_AUTH=off) or one registered agent. */
export type Principal = { kind: 'admin' } | { kind: 'agent'; agentId: string };

export const ADMIN: Principal = Object.freeze({ kind: 'admin' });

/** The request as the auth guard leaves it. */
export interface AuthenticatedRequest {
  principal?: Principal;
  /** The agent's request count, when authentication counted it already (AgentThrottlerGuard then counts no more). */
  rateLimitCount?: RequestCount;
}

/** Injects the caller the auth guard established (`@Caller() caller: Principal`). */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('no principal on the request: is the route behind the auth guard?');
  return request.principal;
});
