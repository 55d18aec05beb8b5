import { randomUUID } from 'node:crypto';
import {
  BeforeApplicationShutdown,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleInit,
} from '@nestjs/common';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AccessPolicy } from '../brain/access.policy';
import { BrainAI } from '../brain/brain-ai.service';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { registerBrainTools } from './mcp-tools';

/** One MCP session: one agent, its own server and transport (the SDK keeps per-session protocol state in both). */
export interface McpSession {
  readonly agentId: string;
  readonly server: McpServer;
  readonly transport: StreamableHTTPServerTransport;
  lastActiveAt: number;
}

const SERVER_INFO = { name: 'brain', version: '1.1.0' };
/** Seconds a client should wait before opening a session again once the limit is reached. */
const RETRY_AFTER_S = 30;

/**
 * The MCP sessions open on this replica. Every agent is untrusted: sessions are bounded per agent and overall
 * (429 beyond), closed after BRAIN_MCP_SESSION_IDLE_MS without a request, and all closed when the app shuts down.
 * Sessions live in this process: behind a load balancer, /mcp needs affinity on the `mcp-session-id` header.
 */
@Injectable()
export class McpSessions implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Mcp');
  private readonly byId = new Map<string, McpSession>();
  /** Sessions being opened or open, so concurrent initializations cannot overshoot the limits. */
  private readonly open = new Set<McpSession>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly brain: BrainAI,
    private readonly access: AccessPolicy,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  onModuleInit(): void {
    const idleMs = this.config.mcp.sessionIdleMs;
    this.sweeper = setInterval(() => this.closeIdle(Date.now()), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.open].map((session) => this.close(session)));
  }

  get size(): number {
    return this.open.size;
  }

  /** The session `sessionId` of `agentId`; a session of another agent is answered like an unknown one. */
  find(sessionId: string, agentId: string): McpSession {
    const session = this.byId.get(sessionId);
    if (!session || session.agentId !== agentId) {
      throw new NotFoundException(
        `MCP session '${sessionId}' was not found (it expired or was closed); start a new one with initialize`,
      );
    }
    session.lastActiveAt = Date.now();
    return session;
  }

  /** A new session for `agentId`, counted at once; it gets its id when the transport answers `initialize`. */
  create(agentId: string): McpSession {
    this.checkLimits(agentId);
    const server = new McpServer(SERVER_INFO, {
      instructions:
        `You are agent '${agentId}' on Brain, the message bus and shared memory of a team of agents. ` +
        'Use check_inbox to take work sent to you and acknowledge each message once handled; send_message and ' +
        'broadcast to talk to other agents (list_agents names them); remember and recall for long-term memory; ' +
        'conversation to reread what you and another agent said.',
    });
    registerBrainTools(server, agentId, this.brain, this.access);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Tool answers come back as one JSON body; nothing here streams progress.
      enableJsonResponse: true,
      onsessioninitialized: (sessionId) => {
        this.byId.set(sessionId, session);
      },
    });
    const session: McpSession = { agentId, server, transport, lastActiveAt: Date.now() };
    // The transport closes on DELETE /mcp, on close() and on shutdown: forget the session each time.
    transport.onclose = () => this.forget(session);
    this.open.add(session);
    return session;
  }

  /** Connects the session's server to its transport (once, before its first request). */
  async connect(session: McpSession): Promise<void> {
    await session.server.connect(session.transport);
  }

  /** After the first request: a session the transport did not initialize (a bad `initialize`) is dropped. */
  async settle(session: McpSession): Promise<void> {
    if (session.transport.sessionId === undefined) await this.close(session);
  }

  async close(session: McpSession): Promise<void> {
    this.forget(session);
    try {
      await session.server.close();
    } catch (error) {
      this.logger.warn(`closing an MCP session of '${session.agentId}': ${(error as Error).message}`);
    }
  }

  /** Closes the sessions without a request since `now - BRAIN_MCP_SESSION_IDLE_MS`; public for tests. */
  closeIdle(now: number): number {
    const before = now - this.config.mcp.sessionIdleMs;
    const idle = [...this.open].filter((session) => session.lastActiveAt < before);
    for (const session of idle) void this.close(session);
    if (idle.length > 0) this.logger.log(`closed ${idle.length} idle MCP session(s)`);
    return idle.length;
  }

  private forget(session: McpSession): void {
    this.open.delete(session);
    const id = session.transport.sessionId;
    if (id !== undefined && this.byId.get(id) === session) this.byId.delete(id);
  }

  private checkLimits(agentId: string): void {
    const { maxSessions, maxSessionsPerAgent } = this.config.mcp;
    let ofAgent = 0;
    for (const session of this.open) if (session.agentId === agentId) ofAgent++;
    if (ofAgent >= maxSessionsPerAgent) {
      throw tooMany(
        `agent '${agentId}' has ${ofAgent} open MCP sessions, the most BRAIN_MCP_MAX_SESSIONS_PER_AGENT allows; ` +
          'close one (DELETE /mcp) or reuse it',
      );
    }
    if (this.open.size >= maxSessions) {
      throw tooMany(`${this.open.size} MCP sessions are open, the most BRAIN_MCP_MAX_SESSIONS allows`);
    }
  }
}

/** 429 with a Retry-After hint (the controller copies it onto the answer). */
export class TooManySessionsException extends HttpException {
  readonly retryAfterSeconds = RETRY_AFTER_S;
}

const tooMany = (message: string) => new TooManySessionsException(message, HttpStatus.TOO_MANY_REQUESTS);
