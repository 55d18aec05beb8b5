import { RedisKeys } from '../../infrastructure/redis/keys';
import { RedisClient } from '../../infrastructure/redis/redis.constants';
import { AuthenticateAndCountCommand, authenticateAndCountScript } from './rate-limit.script';
import { RATE_LIMIT_THROTTLER, RequestCount } from './redis-throttler.storage';

/**
 * Checks an agent token against its stored hash and, when asked, counts the request against the agent's rate
 * limit in the same script: one Redis round trip per authenticated request instead of two (read, then count).
 */
export class AgentTokenCheck {
  private readonly run: AuthenticateAndCountCommand;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.run = authenticateAndCountScript(redis);
  }

  /** null: not the agent's token. Otherwise the request's count when windowMs > 0 (undefined when not counted). */
  async check(
    agentId: string,
    presentedHash: string,
    windowMs: number,
  ): Promise<{ counted?: RequestCount } | null> {
    const reply = await this.run(
      this.keys.agentMeta(agentId),
      this.keys.rateLimit(agentId, RATE_LIMIT_THROTTLER),
      presentedHash,
      windowMs,
    );
    if (reply.length === 0) return null;
    return reply.length === 3 ? { counted: { hits: reply[1], remainingMs: reply[2] } } : {};
  }
}
