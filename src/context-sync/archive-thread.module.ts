import { DynamicModule, Module } from '@nestjs/common';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { RedisKeys } from '../infrastructure/redis/keys';
import { MemoryModule } from '../memory/memory.module';
import { AgentRegistryRepository } from './agent-registry.repository';
import { ARCHIVE_PROGRESS, ArchiveProgress } from './archive.metrics';
import { ArchiverService } from './archiver.service';
import { StreamArchiveRepository } from './stream-archive.repository';
import { StreamTrimmerService } from './stream-trimmer.service';

/** Sent by the archive thread to the main thread. */
export type ArchiveThreadMessage =
  | { kind: 'ready' }
  | { kind: 'stored'; count: number }
  | { kind: 'failed' }
  | { kind: 'lag'; lag: number }
  | { kind: 'log'; level: ThreadLogLevel; text: string; stack?: string; context?: string };

export type ThreadLogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/** Sent by the main thread to the archive thread: finish the current batch, close the connections, exit. */
export type ArchiveThreadCommand = { kind: 'stop' };

/**
 * What the archive thread runs (its composition root is src/archive-thread.ts): the archiver and the trimmer it
 * drives, on their own Redis and Postgres connections, reporting to `progress` (the parent port). Nothing else of
 * ContextSync: no HTTP, no long polls, no publishes.
 */
@Module({})
export class ArchiveThreadModule {
  static reportingTo(progress: ArchiveProgress): DynamicModule {
    return {
      module: ArchiveThreadModule,
      imports: [MemoryModule],
      providers: [
        {
          provide: RedisKeys,
          useFactory: (config: BrainConfigType) => new RedisKeys(config.redis.prefix),
          inject: [brainConfig.KEY],
        },
        { provide: ARCHIVE_PROGRESS, useValue: progress },
        AgentRegistryRepository,
        StreamArchiveRepository,
        StreamTrimmerService,
        ArchiverService,
      ],
    };
  }
}
