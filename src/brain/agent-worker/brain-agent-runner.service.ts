import { hostname } from 'node:os';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { AgentNotFoundError } from '../../common/errors';
import { brainConfig, BrainConfigType } from '../../config/brain.config';
import { ContextMessage } from '../../context-sync/context-message';
import { BrainAI } from '../brain-ai.service';
import { BrainAgentHandler, BrainAgentMarker, BrainAgentOptions } from './brain-agent.decorator';

const DEFAULT_COUNT = 10;
const DEFAULT_WAIT_MS = 2000;
const MAX_BACKOFF_MS = 5000;

interface Worker {
  options: BrainAgentOptions;
  handler: BrainAgentHandler;
  consumer: string;
  registered: boolean;
}

/** One consumer name per process: replicas of Brain share an agent's messages, each holding its own leases. */
export function defaultConsumerName(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.:-]/g, '-');
  return `${host}-${process.pid}`.slice(-64);
}

/**
 * Runs the @BrainAgent providers: registers each agent, then loops — fetch pending messages in lease mode, hand
 * each to the handler, acknowledge on success — until shutdown, which waits for the rounds in flight.
 */
@Injectable()
export class BrainAgentRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('BrainAgents');
  private readonly loops: Promise<void>[] = [];
  private stopping = false;
  private wakeSleepers = new Set<() => void>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly brain: BrainAI,
    @Inject(brainConfig.KEY) private readonly config: BrainConfigType,
  ) {}

  onApplicationBootstrap(): void {
    for (const worker of this.discoverWorkers()) {
      this.logger.log(`running agent '${worker.options.id}' as consumer '${worker.consumer}'`);
      this.loops.push(this.run(worker));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wakeSleepers.forEach((wake) => wake());
    await Promise.all(this.loops);
  }

  private discoverWorkers(): Worker[] {
    return this.discovery.getProviders({ metadataKey: BrainAgentMarker.KEY }).flatMap((wrapper): Worker[] => {
      const options = this.discovery.getMetadataByDecorator(BrainAgentMarker, wrapper);
      const handler = wrapper.instance as BrainAgentHandler | undefined;
      if (!options || typeof handler?.handle !== 'function') return [];
      if (options.enabled && !options.enabled(this.config)) return [];
      return [{ options, handler, consumer: options.consumer ?? defaultConsumerName(), registered: false }];
    });
  }

  private async run(worker: Worker): Promise<void> {
    const { id } = worker.options;
    let failures = 0;
    while (!this.stopping) {
      try {
        if (!worker.registered) {
          await this.brain.ensureAgent(worker.options);
          worker.registered = true;
        }
        const messages = await this.brain.getPending(id, {
          consumer: worker.consumer,
          count: worker.options.count ?? DEFAULT_COUNT,
          waitMs: worker.options.waitMs ?? DEFAULT_WAIT_MS,
          priority: worker.options.priority,
        });
        // Leased messages left when stopping are not acknowledged: another consumer gets them after the timeout.
        for (const message of messages) if (!this.stopping) await this.handle(worker, message);
        failures = 0;
      } catch (error) {
        if (error instanceof AgentNotFoundError) worker.registered = false;
        failures += 1;
        if (failures === 1 || failures % 20 === 0) {
          this.logger.warn(`agent '${id}': ${(error as Error).message} (retrying, attempt ${failures})`);
        }
        await this.sleep(Math.min(100 * 2 ** Math.min(failures, 6), MAX_BACKOFF_MS));
      }
    }
  }

  private async handle(worker: Worker, message: ContextMessage): Promise<void> {
    const { id } = worker.options;
    try {
      await worker.handler.handle(message);
    } catch (error) {
      this.logger.warn(
        `agent '${id}' failed on message ${message.id} (delivery ${message.deliveryCount}): ${(error as Error).message}; it will be redelivered`,
      );
      return;
    }
    await this.brain.acknowledge(message.id, id);
  }

  /** A pause that shutdown cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeSleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeSleepers.add(wake);
    });
  }
}
