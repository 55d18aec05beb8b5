import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { AgentThrottlerGuard } from '../agents/auth/agent-throttler.guard';
import { AuthGuard } from '../agents/auth/auth.guard';
import { AccessPolicy } from '../brain/access.policy';
import { BrainModule } from '../brain/brain.module';
import { McpSessions } from './mcp-sessions.service';
import { McpController } from './mcp.controller';

/**
 * Brain for LLM agents: a Model Context Protocol server at /mcp. A thin face like the REST controllers: its tools
 * call the BrainAI facade under the same AccessPolicy; its tokens are checked, failures counted per address, and its
 * requests counted against the agent's rate limit by the same guards (stateless: this module holds its own instances).
 */
@Module({
  imports: [AgentsModule, BrainModule],
  controllers: [McpController],
  providers: [McpSessions, AccessPolicy, AuthGuard, AgentThrottlerGuard],
})
export class McpModule {}
