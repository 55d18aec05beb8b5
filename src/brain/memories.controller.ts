import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, Principal } from '../agents/auth/principal';
import { MemoryViewer } from '../memory/memory-record';
import { AccessPolicy } from './access.policy';
import { BrainAI } from './brain-ai.service';
import { ApiErrors } from './dto/error.dto';
import { InsightsRequest, InsightsResponse, toInsightsResponse } from './dto/insights.dto';
import {
  MemoryQueryRequest,
  MemoryRecordPageResponse,
  MemoryRecordResponse,
  PageRequest,
  StoreMemoryRequest,
  toMemoryQuery,
  toMemoryRecordPageResponse,
  toMemoryRecordResponse,
  toPageQuery,
  toTimeWindow,
} from './dto/memory.dto';
import { AgentIdPipe, ApiAgentIdParam } from './dto/validation';

@ApiTags('memory')
@ApiBearerAuth()
@Controller('v1')
export class MemoriesController {
  constructor(
    private readonly brain: BrainAI,
    private readonly access: AccessPolicy,
  ) {}

  @Post('agents/:id/memories')
  @ApiOperation({ summary: 'Store a memory record of the agent (that agent, or the admin)' })
  @ApiAgentIdParam('id', 'the owner')
  @ApiCreatedResponse({ type: MemoryRecordResponse })
  @ApiErrors(400, 403, 404, 413)
  async store(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Body() body: StoreMemoryRequest,
  ): Promise<MemoryRecordResponse> {
    await this.access.actAs(caller, id);
    return toMemoryRecordResponse(await this.brain.storeContext(id, body));
  }

  @Get('agents/:id/memories')
  @ApiOperation({
    summary: "An agent's memories, newest first (any agent; private ones only to their owner and the admin)",
    description:
      'Read by owner id, without a registry lookup: an id never registered answers 200 with an empty page; a ' +
      "deleted agent's memories stay readable under its id until the id is registered again (the new agent " +
      'starts with none of them).',
  })
  @ApiAgentIdParam('id', 'the owner')
  @ApiOkResponse({ type: MemoryRecordPageResponse })
  @ApiErrors(400)
  async query(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Query() query: MemoryQueryRequest,
  ): Promise<MemoryRecordPageResponse> {
    return toMemoryRecordPageResponse(
      await this.brain.queryContext(id, viewerOf(caller), toMemoryQuery(query)),
    );
  }

  @Get('agents/:id/history')
  @ApiOperation({
    summary: 'Its memories and the messages it sent or received, newest first (that agent, or the admin)',
    description: 'History outlives the agent: it stays readable (by the admin) after the agent is deleted.',
  })
  @ApiAgentIdParam('id', 'the agent')
  @ApiOkResponse({ type: MemoryRecordPageResponse })
  @ApiErrors(400, 403)
  async history(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Query() query: PageRequest,
  ): Promise<MemoryRecordPageResponse> {
    this.access.readAs(caller, id);
    return toMemoryRecordPageResponse(
      await this.brain.getAgentHistoryPage(id, toPageQuery(query), viewerOf(caller)),
    );
  }

  @Get('conversations/:a/:b')
  @ApiOperation({
    summary: 'The messages between a and b, both directions, newest first (a, b, or the admin)',
  })
  @ApiAgentIdParam('a', 'one side')
  @ApiAgentIdParam('b', 'the other side')
  @ApiOkResponse({ type: MemoryRecordPageResponse })
  @ApiErrors(400, 403)
  async conversation(
    @Caller() caller: Principal,
    @Param('a', AgentIdPipe) a: string,
    @Param('b', AgentIdPipe) b: string,
    @Query() query: PageRequest,
  ): Promise<MemoryRecordPageResponse> {
    this.access.readAs(caller, a, b);
    return toMemoryRecordPageResponse(
      await this.brain.getConversation(a, b, toPageQuery(query), viewerOf(caller)),
    );
  }

  @Get('insights')
  @ApiOperation({
    summary: 'Who talks to whom, about what, in a time window (the answer names the window used)',
    description:
      'An agent counts only what it may see: its own messages, broadcasts, shared memories and its own private ' +
      'ones, since it registered. The admin counts everything.',
  })
  @ApiOkResponse({ type: InsightsResponse })
  @ApiErrors(400)
  async insights(@Caller() caller: Principal, @Query() query: InsightsRequest): Promise<InsightsResponse> {
    const { since, until } = toTimeWindow(query);
    return toInsightsResponse(await this.brain.getCrossAgentInsights(since, until, viewerOf(caller)));
  }
}

const viewerOf = (caller: Principal): MemoryViewer =>
  caller.kind === 'admin' ? { admin: true } : { agentId: caller.agentId };
