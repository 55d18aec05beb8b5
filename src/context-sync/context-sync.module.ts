import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MemoryModule } from '../memory/memory.module';
import { ArchiveHealthIndicator } from './archive.health';
import { ArchiverService } from './archiver.service';
import { ContextSyncMetrics } from './context-sync.metrics';
import { ContextSyncService } from './context-sync.service';
import { LongPollService } from './long-poll.service';
import { MailboxRepository } from './mailbox.repository';
import { RetentionJob } from './retention.job';

/** Durable messaging on Redis Streams; exports only its service API. */
@Module({
  imports: [MemoryModule, TerminusModule],
  providers: [
    MailboxRepository,
    LongPollService,
    ArchiverService,
    ContextSyncService,
    ContextSyncMetrics,
    RetentionJob,
    ArchiveHealthIndicator,
  ],
  exports: [ContextSyncService, RetentionJob, ArchiveHealthIndicator],
})
export class ContextSyncModule {}
