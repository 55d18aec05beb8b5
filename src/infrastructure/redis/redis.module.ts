import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisConnectionFactory, connectQuietly } from './redis-connection.factory';
import { REDIS_CLIENT, RedisClient } from './redis.constants';
import { RedisHealthIndicator } from './redis.health';
import { RedisLockService } from './redis-lock.service';

@Global()
@Module({
  imports: [TerminusModule],
  providers: [
    RedisConnectionFactory,
    {
      provide: REDIS_CLIENT,
      inject: [RedisConnectionFactory],
      useFactory: (factory: RedisConnectionFactory) => factory.createShared(),
    },
    RedisLockService,
    RedisHealthIndicator,
  ],
  exports: [REDIS_CLIENT, RedisConnectionFactory, RedisLockService, RedisHealthIndicator],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');

  constructor(@Inject(REDIS_CLIENT) private readonly redis: RedisClient) {}

  async onModuleInit(): Promise<void> {
    await connectQuietly(this.redis, this.logger);
  }

  async onApplicationShutdown(): Promise<void> {
    // QUIT lets replies to commands already sent arrive; disconnect if Redis is gone anyway.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
