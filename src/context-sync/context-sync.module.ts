import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { brainConfig, BrainConfigType } from '../config/brain.config';
import { RedisKeys } from '../infrastructure/redis/keys';
import { MemoryModule } from '../memory/memory.module';
import { AgentRegistryRepository } from './agent-registry.repository';
import { ArchiveHealthIndicator } from './archive.health';
import { ARCHIVE_PROGRESS, ArchiveMetrics } from './archive.metrics';
import { ArchiveThread } from './archive-thread';
import { ArchiverService } from './archiver.service';
import { CapabilityRouterService } from './capability-router.service';
import { ContextSyncMetrics } from './context-sync.metrics';
import { ContextSyncService } from './context-sync.service';
import { DeadLettersService } from './dead-letters.service';
import { EventStreamService } from './event-stream.service';
import { InboxService } from './inbox.service';
import { LeaseRepository } from './lease.repository';
import { LeaseService } from './lease.service';
import { LongPollService } from './long-poll.service';
import { MailboxCountersRepository } from './mailbox-counters.repository';
import { MailboxStatsService } from './mailbox-stats.service';
import { MailboxRepository } from './mailbox.repository';
import { MaintenanceService } from './maintenance.service';
import { MessagePublisherService } from './message-publisher.service';
import { MessageStatusService } from './message-status.service';
import { NackRepository } from './nack.repository';
import { DelayedRepository } from './delayed.repository';
import { DelayedDeliveryService } from './delayed-delivery.service';
import { NackService } from './nack.service';
import { RetentionJob } from './retention.job';
import { StreamArchiveRepository } from './stream-archive.repository';
import { StreamTrimmerService } from './stream-trimmer.service';
import { ThroughputSampler } from './throughput.sampler';

// The archive thread's module and messages, for its composition root (src/archive-thread.ts).
export {
  ArchiveThreadModule,
  type ArchiveThreadCommand,
  type ArchiveThreadMessage,
  type ThreadLogLevel,
} from './archive-thread.module';

/** Durable messaging on Redis Streams; exports only its service API. */
@Module({
  imports: [MemoryModule, TerminusModule],
  providers: [
    {
      provide: RedisKeys,
      useFactory: (config: BrainConfigType) => new RedisKeys(config.redis.prefix),
      inject: [brainConfig.KEY],
    },
    MailboxRepository,
    AgentRegistryRepository,
    MailboxCountersRepository,
    StreamArchiveRepository,
    LongPollService,
    ArchiverService,
    ArchiveMetrics,
    { provide: ARCHIVE_PROGRESS, useExisting: ArchiveMetrics },
    ArchiveThread,
    StreamTrimmerService,
    MessagePublisherService,
    InboxService,
    MessageStatusService,
    DeadLettersService,
    MaintenanceService,
    ContextSyncService,
    EventStreamService,
    CapabilityRouterService,
    ContextSyncMetrics,
    RetentionJob,
    ArchiveHealthIndicator,
    MailboxStatsService,
    ThroughputSampler,
    LeaseRepository,
    LeaseService,
    NackRepository,
    NackService,
    DelayedRepository,
    DelayedDeliveryService,
  ],
  // The one way in: every other provider is reached through ContextSyncService (npm run lint enforces it).
  exports: [ContextSyncService],
})
export class ContextSyncModule {}
