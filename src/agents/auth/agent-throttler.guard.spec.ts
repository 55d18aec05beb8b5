import 'reflect-metadata';
import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { SkipThrottle, Throttle, ThrottlerException, ThrottlerStorage } from '@nestjs/throttler';
import { AgentThrottlerGuard } from './agent-throttler.guard';
import { AuthenticatedRequest } from './principal';
import {
  RATE_LIMIT_THROTTLER,
  RATE_LIMIT_WINDOW_MS,
  RequestCount,
  throttlerRecord,
} from './redis-throttler.storage';

const LIMIT = 3;

class Plain {
  send(): void {}
}

class Limited {
  @Throttle({ [RATE_LIMIT_THROTTLER]: { limit: 1, ttl: RATE_LIMIT_WINDOW_MS } })
  send(): void {}
}

@SkipThrottle()
class Skipped {
  send(): void {}
}

/** Counts in memory what RedisThrottlerStorage counts in Redis: only requests AuthGuard did not count reach it. */
class CountingStorage implements ThrottlerStorage {
  readonly hits = new Map<string, number>();

  increment(key: string, ttl: number, limit: number) {
    const hits = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, hits);
    return Promise.resolve(throttlerRecord({ hits, remainingMs: ttl }, limit));
  }
}

async function guardWith(storage: ThrottlerStorage): Promise<AgentThrottlerGuard> {
  const guard = new AgentThrottlerGuard(
    { throttlers: [{ name: RATE_LIMIT_THROTTLER, ttl: RATE_LIMIT_WINDOW_MS, limit: LIMIT }] },
    storage,
    new Reflector(),
  );
  await guard.onModuleInit();
  return guard;
}

function call(
  controller: { prototype: { send(): void } },
  request: AuthenticatedRequest,
): { context: ExecutionContext; headers: Record<string, string | number> } {
  const headers: Record<string, string | number> = {};
  const reply = { header: (name: string, value: string | number) => (headers[name] = value) };
  const context = new ExecutionContextHost([request, reply], controller as never, controller.prototype.send);
  return { context, headers };
}

const agent = (counted?: RequestCount): AuthenticatedRequest => ({
  principal: { kind: 'agent', agentId: 'nova' },
  rateLimitCount: counted,
});

describe('AgentThrottlerGuard', () => {
  it('judges a request AuthGuard counted on that count: the same headers and 429, and no count of its own', async () => {
    const storage = new CountingStorage();
    const guard = await guardWith(storage);

    const allowed = call(Plain, agent({ hits: LIMIT, remainingMs: 20_500 }));
    await expect(guard.canActivate(allowed.context)).resolves.toBe(true);
    expect(allowed.headers).toEqual({
      'X-RateLimit-Limit': LIMIT,
      'X-RateLimit-Remaining': 0,
      'X-RateLimit-Reset': 21,
    });

    const refused = call(Plain, agent({ hits: LIMIT + 1, remainingMs: 20_500 }));
    await expect(guard.canActivate(refused.context)).rejects.toThrow(ThrottlerException);
    await expect(guard.canActivate(refused.context)).rejects.toThrow(
      `agent 'nova' exceeded its limit of ${LIMIT} requests per minute; retry after 21 s`,
    );
    expect(refused.headers['Retry-After']).toBe(21);
    expect(storage.hits.size).toBe(0);
  });

  it('counts in the storage a request AuthGuard did not count (an MCP request)', async () => {
    const storage = new CountingStorage();
    const guard = await guardWith(storage);
    for (let i = 0; i < LIMIT; i++)
      await expect(guard.canActivate(call(Plain, agent()).context)).resolves.toBe(true);
    await expect(guard.canActivate(call(Plain, agent()).context)).rejects.toThrow(ThrottlerException);
    expect(storage.hits.get('nova')).toBe(LIMIT + 1);
  });

  it("applies a route's own @Throttle limit and @SkipThrottle to a counted request", async () => {
    const guard = await guardWith(new CountingStorage());
    const second = { hits: 2, remainingMs: 30_000 };
    await expect(guard.canActivate(call(Plain, agent(second)).context)).resolves.toBe(true);
    await expect(guard.canActivate(call(Limited, agent(second)).context)).rejects.toThrow(
      "agent 'nova' exceeded its limit of 1 requests per minute",
    );
    const skipped = call(Skipped, agent({ hits: 1000, remainingMs: 30_000 }));
    await expect(guard.canActivate(skipped.context)).resolves.toBe(true);
    expect(skipped.headers).toEqual({});
  });

  it('does not limit the admin or a request without a principal', async () => {
    const storage = new CountingStorage();
    const guard = await guardWith(storage);
    const admin = call(Plain, { principal: { kind: 'admin' } });
    await expect(guard.canActivate(admin.context)).resolves.toBe(true);
    await expect(guard.canActivate(call(Plain, {}).context)).resolves.toBe(true);
    expect(admin.headers).toEqual({});
    expect(storage.hits.size).toBe(0);
  });
});
