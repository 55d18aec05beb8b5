import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response';
import type { FastifyReply } from 'fastify';
import { METRICS_SCHEME, MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @UseGuards(MetricsTokenGuard)
  @ApiOperation({
    summary:
      'Prometheus metrics; public unless BRAIN_METRICS_TOKEN is set, then that bearer token is required',
    // Either that token, or nothing when no token is set.
    security: [{ [METRICS_SCHEME]: [] }, {}],
  })
  @ApiResponse({
    status: 200,
    description: 'Prometheus text exposition format (version 0.0.4)',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiResponse({
    status: 401,
    description: 'BRAIN_METRICS_TOKEN is set and the bearer token is missing or wrong',
    type: ErrorResponse,
    example: { statusCode: 401, error: 'Unauthorized', message: 'a valid metrics token is required' },
  })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { contentType, body } = await this.metrics.render();
    void reply.header('content-type', contentType);
    return body;
  }
}
