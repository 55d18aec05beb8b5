import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { AgentThrottlerGuard } from '../agents/auth/agent-throttler.guard';
import { AccessPolicy } from '../brain/access.policy';
import { BrainModule } from '../brain/brain.module';
import { McpSessions } from './mcp-sessions.service';
import { McpController } from './mcp.controller';

/**
 * Brain for LLM agents: a Model Context Protocol server at /mcp. A thin face like the REST controllers: its tools
 * call the BrainAI facade under the same AccessPolicy, and its requests count against the agent's rate limit through
 * the same guard (both stateless, so this module holds its own instances).
 */
@Module({
  imports: [AgentsModule, BrainModule],
  controllers: [McpController],
  providers: [McpSessions, AccessPolicy, AgentThrottlerGuard],
})
export class McpModule {}
