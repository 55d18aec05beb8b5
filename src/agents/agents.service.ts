import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AgentAlreadyExistsError, AgentNotFoundError } from '../common/errors';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { ContextSyncService } from '../context-sync/context-sync.service';
import { AgentRecord, AgentsRepository } from './agents.repository';
import { ADMIN, Principal } from './auth/principal';
import { agentIdOfToken, bearerToken, hashToken, newAgentToken, sameHash } from './auth/agent-token';
import { checkRegistration, RegisterAgentInput } from './registration-input';
import { RequestCount } from './auth/redis-throttler.storage';
import { AgentTokenCheck } from './auth/token-check';
import { RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';

/** An agent as the registry hands it out: the token hash stays inside this service. */
export type Agent = Omit<AgentRecord, 'tokenHash'>;

const withoutHash = ({ tokenHash: _hash, ...agent }: AgentRecord): Agent => agent;

export type { RegisterAgentInput } from './registration-input';

/** lastSeenAt is a hint, not an audit log: write it at most once a minute per agent, off the request path. */
const LAST_SEEN_INTERVAL_MS = 60_000;

/**
 * The agent registry and its tokens. Postgres holds the agents; Redis mirrors what messaging and auth need
 * (registration and token hash), so authenticating a request never waits on Postgres.
 */
@Injectable()
export class AgentsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Agents');
  private readonly adminTokenHash: string;
  private readonly lastSeenWritten = new Map<string, number>();
  private readonly tokens: AgentTokenCheck;

  constructor(
    private readonly repository: AgentsRepository,
    private readonly contextSync: ContextSyncService,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
    @Inject(REDIS_CLIENT) redis: RedisClient,
  ) {
    this.adminTokenHash = config.auth.adminToken ? hashToken(config.auth.adminToken) : '';
    this.tokens = new AgentTokenCheck(redis, new RedisKeys(config.redis.prefix));
  }

  /** Off the start path: a slow Postgres at start must not hold the app back. */
  onApplicationBootstrap(): void {
    void this.mirrorCapabilities();
  }

  /**
   * Agents registered before routing by capability had their capabilities mirrored in Redis get them now (each
   * agent once, whichever replica starts first). Returns how many were mirrored.
   */
  async mirrorCapabilities(): Promise<number> {
    let mirrored = 0;
    try {
      for (const agent of await this.repository.findAll())
        if (await this.contextSync.mirrorCapabilities(agent.id, agent.capabilities)) mirrored++;
      if (mirrored > 0) this.logger.log(`capabilities of ${mirrored} agent(s) mirrored to Redis for routing`);
    } catch (error) {
      // Postgres or Redis down at start: the next start does it; registrations meanwhile mirror their own.
      this.logger.warn(`capabilities not mirrored to Redis: ${(error as Error).message}`);
    }
    return mirrored;
  }

  /** Creates the agent (Postgres row, then its Redis presence) and returns its token: the only time it is shown. */
  async register(input: RegisterAgentInput): Promise<{ agent: Agent; token: string }> {
    checkRegistration(input);
    const token = newAgentToken(input.id);
    const tokenHash = hashToken(token);
    const agent = await this.insertRow(input, tokenHash);
    try {
      await this.contextSync.registerAgent(input.id, tokenHash, agent.capabilities);
    } catch (error) {
      // Without its Redis presence the agent could neither authenticate nor receive: undo the row, report the outage.
      await this.repository.delete(input.id).catch((undo: Error) => {
        this.logger.error(`could not undo the registration of '${input.id}': ${undo.message}`);
      });
      throw error;
    }
    return { agent, token };
  }

  /**
   * Makes sure the agent exists, for in-process agents that start with the server: registers it if it is missing,
   * and restores its Redis presence from Postgres if Redis lost it (e.g. a Redis restart without AOF).
   */
  async ensureRegistered(input: RegisterAgentInput): Promise<Agent> {
    const existing = await this.repository.findById(input.id);
    if (!existing) {
      try {
        return (await this.register(input)).agent;
      } catch (error) {
        if (!(error instanceof AgentAlreadyExistsError)) throw error;
        return this.get(input.id); // another replica registered it at the same moment
      }
    }
    if (!(await this.contextSync.isRegistered(input.id))) {
      await this.contextSync.registerAgent(input.id, existing.tokenHash, existing.capabilities);
    }
    return withoutHash(existing);
  }

  /** Every agent, or only those whose capabilities contain `capability`. */
  async list(capability?: string): Promise<Agent[]> {
    const agents = (await this.repository.findAll()).map(withoutHash);
    return capability === undefined
      ? agents
      : agents.filter((agent) => agent.capabilities.includes(capability));
  }

  async get(agentId: string): Promise<Agent> {
    const agent = await this.repository.findById(agentId);
    if (!agent) throw new AgentNotFoundError(agentId);
    return withoutHash(agent);
  }

  /**
   * Removes the agent's registration and live streams; its archived history stays in Postgres. The row goes first:
   * from then on no rotation can succeed (it needs the row), and whatever Redis state a racing rotation wrote is
   * removed after it, here or by the rotation itself. A delete whose Redis part failed can be repeated.
   */
  async delete(agentId: string): Promise<void> {
    const removed = await this.repository.delete(agentId);
    if (!removed && !(await this.contextSync.isRegistered(agentId))) throw new AgentNotFoundError(agentId);
    this.lastSeenWritten.delete(agentId);
    await this.contextSync.unregisterAgent(agentId);
  }

  /**
   * Issues a new token. Redis (what auth reads) is updated first, so the old token stops working at once; the row
   * last, and if a delete removed the row meanwhile, the rotation is undone and refused: no token of a deleted agent
   * ever works (see delete).
   */
  async rotateToken(agentId: string): Promise<string> {
    const agent = await this.get(agentId);
    const token = newAgentToken(agentId);
    const tokenHash = hashToken(token);
    try {
      await this.contextSync.setTokenHash(agentId, tokenHash);
    } catch (error) {
      // Registered in Postgres but not in Redis (Redis lost its data, or a delete is under way): restore the
      // mirror with the new hash; the row check below tells the two apart.
      if (!(error instanceof AgentNotFoundError)) throw error;
      await this.contextSync.registerAgent(agentId, tokenHash, agent.capabilities);
    }
    if (!(await this.repository.updateTokenHash(agentId, tokenHash))) {
      await this.contextSync.unregisterAgent(agentId);
      throw new AgentNotFoundError(agentId);
    }
    return token;
  }

  /** Every agent's row: gone (BrainAI.clearAll clears their Redis presence and their memory around this). */
  async clear(): Promise<void> {
    await this.repository.deleteAll();
    this.lastSeenWritten.clear();
  }

  /** Whether the agent is registered, from the Redis mirror (cheap enough for request paths). */
  async isRegistered(agentId: string): Promise<boolean> {
    return this.contextSync.isRegistered(agentId);
  }

  /**
   * Who a bearer token belongs to, or null. Every comparison is between equal-length sha256 digests in constant
   * time; an agent token costs one Redis script and no Postgres.
   */
  async authenticate(token: string | undefined): Promise<Principal | null> {
    return (await this.authenticateAndCount(token, 0))?.principal ?? null;
  }

  /**
   * For work that outlives its request's authentication (a long poll, an event stream): a check that the agent token
   * it came with still works, i.e. was not rotated away and its agent not deleted. None for the admin (a setting).
   */
  revocationCheck(
    caller: Principal,
    authorization: string | undefined,
  ): (() => Promise<boolean>) | undefined {
    if (caller.kind !== 'agent') return undefined;
    const token = bearerToken(authorization);
    return async () => (await this.authenticate(token)) !== null;
  }

  /**
   * authenticate, and with windowMs > 0 an agent's request is also counted against its rate limit in the same Redis
   * round trip (only when its token matched: a wrong token never uses up an agent's limit).
   */
  async authenticateAndCount(
    token: string | undefined,
    windowMs: number,
  ): Promise<{ principal: Principal; counted?: RequestCount } | null> {
    if (!this.config.auth.enabled) return { principal: ADMIN };
    if (!token) return null;
    const presented = hashToken(token);
    if (this.adminTokenHash && sameHash(presented, this.adminTokenHash)) return { principal: ADMIN };
    const agentId = agentIdOfToken(token);
    if (!agentId) return null;
    const matched = await this.tokens.check(agentId, presented, windowMs);
    if (!matched) return null;
    this.noteSeen(agentId);
    return { principal: { kind: 'agent', agentId }, counted: matched.counted };
  }

  private async insertRow(input: RegisterAgentInput, tokenHash: string): Promise<Agent> {
    // Two registrations of one id racing: the primary key lets exactly one win (AgentAlreadyExistsError).
    const record = await this.repository.insert({
      id: input.id,
      name: input.name ?? null,
      description: input.description ?? null,
      capabilities: input.capabilities ?? [],
      metadata: input.metadata ?? {},
      tokenHash,
    });
    return withoutHash(record);
  }

  private noteSeen(agentId: string): void {
    const now = Date.now();
    if (now - (this.lastSeenWritten.get(agentId) ?? 0) < LAST_SEEN_INTERVAL_MS) return;
    this.lastSeenWritten.set(agentId, now);
    this.repository.touchLastSeen(agentId, new Date(now)).catch((error: Error) => {
      this.logger.debug(`lastSeenAt of '${agentId}' not updated: ${error.message}`);
    });
  }
}
