import { Inject, Injectable, Logger, BeforeApplicationShutdown } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';

/**
 * Knows whether this replica is shutting down. On SIGTERM readiness turns 503 first, and the server keeps serving
 * for BRAIN_SHUTDOWN_DRAIN_MS so the load balancer stops sending before connections close.
 */
@Injectable()
export class LifecycleService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Lifecycle');
  private shuttingDown = false;

  constructor(@Inject(brainConfig.KEY) private readonly config: BrainConfigType) {}

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.shuttingDown = true;
    const drainMs = this.config.http.shutdownDrainMs;
    this.logger.log(
      `Shutting down${signal ? ` on ${signal}` : ''}: readiness is now 503, draining for ${drainMs} ms`,
    );
    if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
  }
}
