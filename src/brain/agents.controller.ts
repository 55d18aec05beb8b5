import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Caller, Principal } from '../agents/auth/principal';
import { AccessPolicy } from './access.policy';
import { BrainAI } from './brain-ai.service';
import {
  AgentListQuery,
  AgentListResponse,
  AgentResponse,
  RegisterAgentRequest,
  RegisteredAgentResponse,
  TokenResponse,
  toAgentListResponse,
  toAgentResponse,
  toRegisteredAgentResponse,
} from './dto/agent.dto';
import { ApiErrors } from './dto/error.dto';
import { AgentIdPipe, ApiAgentIdParam, EmptyRequest } from './dto/validation';

/** Answers that carry a token: no cache (browser, proxy) may keep a copy. */
const NO_STORE = 'no-store';

@ApiTags('agents')
@ApiBearerAuth()
@Controller('v1/agents')
export class AgentsController {
  constructor(
    private readonly brain: BrainAI,
    private readonly access: AccessPolicy,
  ) {}

  @Post()
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({ summary: 'Register an agent (admin). The token in the answer is shown only this once.' })
  @ApiCreatedResponse({ type: RegisteredAgentResponse })
  @ApiErrors(400, 403, 409, 413)
  async register(
    @Caller() caller: Principal,
    @Body() body: RegisterAgentRequest,
  ): Promise<RegisteredAgentResponse> {
    this.access.requireAdmin(caller, 'register agents');
    const { agent, token } = await this.brain.registerAgent(body);
    return toRegisteredAgentResponse(agent, token);
  }

  @Get()
  @ApiOperation({
    summary: 'List the registered agents; with `capability`, only those offering it (discovery)',
  })
  @ApiOkResponse({ type: AgentListResponse })
  @ApiErrors(400)
  async list(@Query() query: AgentListQuery): Promise<AgentListResponse> {
    return toAgentListResponse(await this.brain.listAgents(query.capability));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One agent' })
  @ApiAgentIdParam('id', 'the agent')
  @ApiOkResponse({ type: AgentResponse })
  @ApiErrors(400, 404)
  async get(@Param('id', AgentIdPipe) id: string): Promise<AgentResponse> {
    return toAgentResponse(await this.brain.getAgent(id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an agent (admin): its live streams go, its history stays' })
  @ApiAgentIdParam('id', 'the agent')
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors(400, 403, 404)
  async delete(@Caller() caller: Principal, @Param('id', AgentIdPipe) id: string): Promise<void> {
    this.access.requireAdmin(caller, 'delete agents');
    await this.brain.deleteAgent(id);
  }

  @Post(':id/token')
  @HttpCode(200)
  @Header('Cache-Control', NO_STORE)
  @ApiOperation({ summary: "Rotate an agent's token (admin): the old token stops working at once" })
  @ApiAgentIdParam('id', 'the agent')
  @ApiOkResponse({ type: TokenResponse })
  @ApiErrors(400, 403, 404)
  async rotateToken(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Body() _body: EmptyRequest,
  ): Promise<TokenResponse> {
    this.access.requireAdmin(caller, 'rotate tokens');
    return { token: await this.brain.rotateToken(id) };
  }
}
