import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { ContextSyncModule } from '../context-sync/context-sync.module';
import { RedisKeys } from '../infrastructure/redis/keys';
import { REDIS_CLIENT, RedisClient } from '../infrastructure/redis/redis.constants';
import { AgentsPersistenceModule } from './agents-persistence.module';
import { AgentsService } from './agents.service';
import { AgentThrottlerGuard } from './auth/agent-throttler.guard';
import { AuthFailureLimiter } from './auth/auth-failure-limiter';
import { AuthGuard } from './auth/auth.guard';
import {
  RATE_LIMIT_THROTTLER,
  RATE_LIMIT_WINDOW_MS,
  RedisThrottlerStorage,
} from './auth/redis-throttler.storage';

/**
 * The agent registry, tokens, authentication and per-agent rate limiting. The two guards are global and declared
 * here in this order on purpose: Nest runs global guards in registration order, and the throttler needs the
 * principal that AuthGuard establishes.
 */
@Module({
  imports: [
    AgentsPersistenceModule,
    ContextSyncModule,
    ThrottlerModule.forRootAsync({
      inject: [brainConfig.KEY, REDIS_CLIENT],
      useFactory: (config: BrainConfigType, redis: RedisClient) => ({
        throttlers: [
          { name: RATE_LIMIT_THROTTLER, ttl: RATE_LIMIT_WINDOW_MS, limit: config.auth.rateLimitPerMinute },
        ],
        // 0 switches rate limiting off.
        skipIf: () => config.auth.rateLimitPerMinute === 0,
        storage: new RedisThrottlerStorage(redis, new RedisKeys(config.redis.prefix)),
      }),
    }),
  ],
  providers: [
    AgentsService,
    AuthFailureLimiter,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: AgentThrottlerGuard },
  ],
  // AuthFailureLimiter: one per process, so /mcp (its own AuthGuard) sees the addresses /v1 blocked.
  exports: [AgentsService, AuthFailureLimiter],
})
export class AgentsModule {}
