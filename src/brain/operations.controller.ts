import { Controller, Delete, Get, Headers, HttpCode } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Caller, Principal } from '../agents/auth/principal';
import { InvalidRequestError } from '../common/errors';
import { AccessPolicy } from './access.policy';
import { BrainAI } from './brain-ai.service';
import { ApiErrors } from './dto/error.dto';
import { StatsResponse, toStatsResponse } from './dto/stats.dto';

const CLEAR_CONFIRMATION = 'clear-all';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('v1')
export class OperationsController {
  constructor(
    private readonly brain: BrainAI,
    private readonly access: AccessPolicy,
  ) {}

  @Get('stats')
  @ApiOperation({ summary: 'Message counters across all agents (admin)' })
  @ApiOkResponse({ type: StatsResponse })
  @ApiErrors(403)
  async stats(@Caller() caller: Principal): Promise<StatsResponse> {
    this.access.requireAdmin(caller, 'read the stats');
    return toStatsResponse(await this.brain.getStats());
  }

  @Delete('data')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete every stream, message, memory and agent (admin, with X-Confirm: clear-all)',
  })
  @ApiHeader({
    name: 'X-Confirm',
    required: true,
    description: `must be '${CLEAR_CONFIRMATION}'`,
    example: CLEAR_CONFIRMATION,
  })
  @ApiNoContentResponse({ description: 'everything is gone' })
  @ApiErrors(400, 403)
  async clear(@Caller() caller: Principal, @Headers('x-confirm') confirm: string | undefined): Promise<void> {
    this.access.requireAdmin(caller, 'delete all data');
    if (confirm !== CLEAR_CONFIRMATION) {
      throw new InvalidRequestError(`header X-Confirm: ${CLEAR_CONFIRMATION} is required to delete all data`);
    }
    await this.brain.clearAll();
  }
}
