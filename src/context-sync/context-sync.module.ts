import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MemoryModule } from '../memory/memory.module';
import { ArchiveHealthIndicator } from './archive.health';
import { ArchiverService } from './archiver.service';
import { ContextSyncMetrics } from './context-sync.metrics';
import { ContextSyncService } from './context-sync.service';
import { EventStreamService } from './event-stream.service';
import { LongPollService } from './long-poll.service';
import { MailboxStatsService } from './mailbox-stats.service';
import { MailboxRepository } from './mailbox.repository';
import { RetentionJob } from './retention.job';
import { ThroughputSampler } from './throughput.sampler';

/** Durable messaging on Redis Streams; exports only its service API. */
@Module({
  imports: [MemoryModule, TerminusModule],
  providers: [
    MailboxRepository,
    LongPollService,
    ArchiverService,
    ContextSyncService,
    EventStreamService,
    ContextSyncMetrics,
    RetentionJob,
    ArchiveHealthIndicator,
    MailboxStatsService,
    ThroughputSampler,
  ],
  exports: [
    ContextSyncService,
    EventStreamService,
    RetentionJob,
    ArchiveHealthIndicator,
    MailboxStatsService,
    ThroughputSampler,
  ],
})
export class ContextSyncModule {}
