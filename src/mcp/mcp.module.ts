import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { AccessPolicy } from '../brain/access.policy';
import { BrainModule } from '../brain/brain.module';
import { McpSessions } from './mcp-sessions.service';
import { McpController } from './mcp.controller';

/**
 * Brain for LLM agents: a Model Context Protocol server at /mcp. A thin face like the REST controllers: its tools
 * call the BrainAI facade under the same AccessPolicy (stateless, so this module holds its own instance).
 */
@Module({
  imports: [AgentsModule, BrainModule],
  controllers: [McpController],
  providers: [McpSessions, AccessPolicy],
})
export class McpModule {}
