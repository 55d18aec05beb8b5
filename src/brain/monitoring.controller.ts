import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, Principal } from '../agents/auth/principal';
import { AccessPolicy } from './access.policy';
import { BrainAI } from './brain-ai.service';
import { ApiErrors } from './dto/error.dto';
import {
  AgentStatsListResponse,
  AgentStatsResponse,
  ThroughputSeriesResponse,
  toAgentStatsResponse,
  toThroughputSeriesResponse,
} from './dto/monitoring.dto';
import { AgentIdPipe, ApiAgentIdParam } from './dto/validation';

/** Read routes the operators' dashboard needs beyond /v1/stats; all answered from counters, never by scans. */
@ApiTags('operations')
@ApiBearerAuth()
@Controller('v1')
export class MonitoringController {
  constructor(
    private readonly brain: BrainAI,
    private readonly access: AccessPolicy,
  ) {}

  @Get('stats/series')
  @ApiOperation({
    summary:
      'Messages published and acknowledged per second over the last 15 minutes, one point per 2 s (admin)',
  })
  @ApiOkResponse({ type: ThroughputSeriesResponse })
  @ApiErrors(403)
  series(@Caller() caller: Principal): ThroughputSeriesResponse {
    this.access.requireAdmin(caller, 'read the stats');
    return toThroughputSeriesResponse(this.brain.getThroughput());
  }

  @Get('stats/agents')
  @ApiOperation({ summary: 'Pending per priority, acknowledged and dead letters of every agent (admin)' })
  @ApiOkResponse({ type: AgentStatsListResponse })
  @ApiErrors(403)
  async agents(@Caller() caller: Principal): Promise<AgentStatsListResponse> {
    this.access.requireAdmin(caller, 'read the stats');
    return { items: (await this.brain.listAgentStats()).map(toAgentStatsResponse) };
  }

  @Get('agents/:id/stats')
  @ApiOperation({
    summary: 'Pending per priority, acknowledged and dead letters of one agent (that agent, or the admin)',
  })
  @ApiAgentIdParam('id', 'the agent')
  @ApiOkResponse({ type: AgentStatsResponse })
  @ApiErrors(400, 403, 404)
  async agent(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
  ): Promise<AgentStatsResponse> {
    await this.access.actAs(caller, id);
    return toAgentStatsResponse(await this.brain.getAgentStats(id));
  }
}
