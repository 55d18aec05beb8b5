import { Module } from '@nestjs/common';
import { MemoryModule } from '../memory/memory.module';
import { ArchiverService } from './archiver.service';
import { ContextSyncService } from './context-sync.service';
import { LongPollService } from './long-poll.service';
import { MailboxRepository } from './mailbox.repository';
import { RetentionJob } from './retention.job';

/** Durable messaging on Redis Streams; exports only its service API. */
@Module({
  imports: [MemoryModule],
  providers: [MailboxRepository, LongPollService, ArchiverService, ContextSyncService, RetentionJob],
  exports: [ContextSyncService, RetentionJob],
})
export class ContextSyncModule {}
