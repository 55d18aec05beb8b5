import { Module } from '@nestjs/common';
import { ContextSyncService } from './context-sync.service';

@Module({
  providers: [ContextSyncService],
  exports: [ContextSyncService],
})
export class ContextSyncModule {}
