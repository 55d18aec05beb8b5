import { BadRequestException, Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ApiExcludeController } from '@nestjs/swagger';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AgentThrottlerGuard } from '../agents/auth/agent-throttler.guard';
import { AuthGuard } from '../agents/auth/auth.guard';
import { ForbiddenActionError } from '../common/errors';
import { hijackKeepingHeaders } from '../common/hijack';
import { McpSession, McpSessions, TooManySessionsException } from './mcp-sessions.service';

const SESSION_HEADER = 'mcp-session-id';

/**
 * `/mcp`: Brain as a Model Context Protocol server (Streamable HTTP). Every request carries the agent's bearer
 * token; the session it opens is that agent's and no one else's. Refusals before the MCP transport takes over
 * (401, 403, 404, 429) are in the contract's error shape; after that, the SDK's transport answers.
 */
@ApiExcludeController()
@Controller('mcp')
export class McpController {
  constructor(
    private readonly auth: AuthGuard,
    private readonly sessions: McpSessions,
    private readonly throttler: AgentThrottlerGuard,
  ) {}

  @Post()
  async post(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const agentId = await this.authenticate(request, reply);
    const sessionId = sessionIdOf(request);
    if (sessionId !== undefined) {
      return this.handle(this.sessions.find(sessionId, agentId), request, reply);
    }
    if (!isInitializeRequest(request.body)) {
      throw new BadRequestException(
        `a request without an ${SESSION_HEADER} header must be an initialize request`,
      );
    }
    const session = this.open(agentId, reply);
    try {
      await this.sessions.connect(session);
      await this.handle(session, request, reply);
    } finally {
      await this.sessions.settle(session);
    }
  }

  /** The session's stream for messages the server sends on its own. */
  @Get()
  async stream(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.withSession(request, reply);
  }

  /** Ends the session. */
  @Delete()
  async end(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.withSession(request, reply);
  }

  private async withSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const agentId = await this.authenticate(request, reply);
    const sessionId = sessionIdOf(request);
    if (sessionId === undefined) throw new BadRequestException(`the ${SESSION_HEADER} header is required`);
    await this.handle(this.sessions.find(sessionId, agentId), request, reply);
  }

  /**
   * The agent the token names; the admin token is refused here, as a session acts as one agent. The same guards as
   * REST's check the token (a failure counts against the client address's BRAIN_AUTH_FAILURES_PER_MINUTE, a blocked
   * address is refused) and count the request against the agent's BRAIN_RATE_LIMIT_PER_MINUTE (the same counter):
   * the global guards skipped it, as /mcp is not a /v1 route.
   */
  private async authenticate(request: FastifyRequest, reply: FastifyReply): Promise<string> {
    const principal = await this.auth.identify(request, reply);
    if (principal.kind !== 'agent') {
      throw new ForbiddenActionError(
        "the admin token cannot open MCP sessions: an MCP session is one agent, use that agent's token",
      );
    }
    await this.throttler.canActivate(
      // The handler is only a key for @SkipThrottle-style metadata, never called.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      new ExecutionContextHost([request, reply], McpController, McpController.prototype.post),
    );
    return principal.agentId;
  }

  private open(agentId: string, reply: FastifyReply): McpSession {
    try {
      return this.sessions.create(agentId);
    } catch (error) {
      if (error instanceof TooManySessionsException) {
        void reply.header('Retry-After', String(error.retryAfterSeconds));
      }
      throw error;
    }
  }

  /** Hands the request to the session's transport, with the body Fastify already parsed. */
  private async handle(session: McpSession, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    hijackKeepingHeaders(reply);
    await session.transport.handleRequest(request.raw, reply.raw, request.body);
  }
}

function sessionIdOf(request: FastifyRequest): string | undefined {
  const value = request.headers[SESSION_HEADER];
  return Array.isArray(value) ? value[0] : value;
}
