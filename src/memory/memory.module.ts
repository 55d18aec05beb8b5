import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MemoryEntity } from './entities/memory.entity';
import { MessageAckEntity } from './entities/message-ack.entity';
import { MessageEntity } from './entities/message.entity';
import { HistoryRepository } from './history.repository';
import { InsightsRepository } from './insights.repository';
import { MemoriesRepository } from './memories.repository';
import { MemoryCache } from './memory-cache';
import { MemoryReads } from './memory-reads';
import { MemoryRetentionJob } from './memory-retention.job';
import { MemoryService } from './memory.service';
import { MessagesRepository } from './messages.repository';

/** Long-term memory in Postgres (archive, memories, history, conversations, insights). Exports MemoryService only. */
@Module({
  // Registration dates come through the AGENT_REGISTRATIONS port, which AgentsPersistenceModule provides globally.
  imports: [TypeOrmModule.forFeature([MessageEntity, MessageAckEntity, MemoryEntity])],
  providers: [
    MemoryService,
    MessagesRepository,
    MemoriesRepository,
    HistoryRepository,
    InsightsRepository,
    MemoryCache,
    MemoryReads,
    MemoryRetentionJob,
  ],
  exports: [MemoryService, MemoryRetentionJob],
})
export class MemoryModule {}
