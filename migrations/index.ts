/**
 * Every migration, in order. Listed explicitly (not globbed) so the same list works from ts-jest, ts-node and dist/.
 */
import { MigrationInterface } from 'typeorm';
import { CreateAgents1767225600000 } from './1767225600000-create-agents';
import { CreateMessageArchive1767225600001 } from './1767225600001-create-message-archive';
import { CreateMemories1767225600002 } from './1767225600002-create-memories';
import { MemoryPages1767225600003 } from './1767225600003-memory-pages';
import { MessageReplies1767225600004 } from './1767225600004-message-replies';
import { ExactJson1767225600005 } from './1767225600005-exact-json';

export const allMigrations: (new () => MigrationInterface)[] = [
  CreateAgents1767225600000,
  CreateMessageArchive1767225600001,
  CreateMemories1767225600002,
  MemoryPages1767225600003,
  MessageReplies1767225600004,
  ExactJson1767225600005,
];
