import { DEFAULT_PENDING_COUNT } from '../common/limits';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AgentsService } from '../agents/agents.service';
import { Caller, Principal } from '../agents/auth/principal';
import { InvalidRequestError } from '../common/errors';
import { PublishResult } from '../context-sync/context-message';
import { AccessPolicy } from './access.policy';
import { BrainAI } from './brain-ai.service';
import { ApiErrors } from './dto/error.dto';
import { ExtendLeaseRequest, LeaseResponse } from './dto/lease.dto';
import {
  AcknowledgedCountResponse,
  AcknowledgeManyRequest,
  AcknowledgementResponse,
  AcknowledgeRequest,
  ContextMessageListResponse,
  ContextMessageResponse,
  DeadLetterListResponse,
  DeadLettersQuery,
  MessageWithStatusResponse,
  PendingQuery,
  SendBroadcastRequest,
  SendMessageRequest,
  toAcknowledgementResponse,
  toContextMessageListResponse,
  toContextMessageResponse,
  toDeadLetterListResponse,
  toMessageWithStatusResponse,
} from './dto/message.dto';
import { NackRequest, NackResponse } from './dto/nack.dto';
import {
  AgentIdPipe,
  ApiAgentIdParam,
  ApiMessageIdParam,
  EmptyRequest,
  MessageIdPipe,
} from './dto/validation';

const DEFAULT_DEAD_LETTER_LIMIT = 100;
const REPLAY = 'a repeated id from the same sender: the original message, nothing new was created';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('v1')
export class MessagesController {
  constructor(
    private readonly brain: BrainAI,
    private readonly access: AccessPolicy,
    private readonly agents: AgentsService,
  ) {}

  @Post('messages')
  @ApiOperation({
    summary: 'Send context to one agent. 201 once it is durable in Redis.',
    description:
      'Name the recipient (`targetAgent`) or let Brain route by capability (`routing`): exactly one of the two. ' +
      "Routed: 404 `no registered agent offers capability '<name>'` when nobody (but the sender) offers it.",
  })
  @ApiCreatedResponse({ type: ContextMessageResponse })
  @ApiOkResponse({ type: ContextMessageResponse, description: REPLAY })
  @ApiErrors(400, 403, 404, 409, 413)
  async send(
    @Caller() caller: Principal,
    @Body() body: SendMessageRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ContextMessageResponse> {
    const { targetAgent, routing, ...message } = body;
    if ((targetAgent === undefined) === (routing === undefined))
      throw new InvalidRequestError('exactly one of targetAgent and routing is required');
    const sourceAgent = this.access.senderOf(caller, body.sourceAgent);
    const result = routing
      ? await this.brain.publishRouted({
          ...message,
          sourceAgent,
          routing: { capability: routing.capability },
        })
      : await this.brain.publishMessage({ ...message, sourceAgent, targetAgent: targetAgent! });
    return published(reply, result);
  }

  @Post('broadcasts')
  @ApiOperation({ summary: 'Send context to every agent registered now (not to the sender)' })
  @ApiCreatedResponse({ type: ContextMessageResponse })
  @ApiOkResponse({ type: ContextMessageResponse, description: REPLAY })
  @ApiErrors(400, 403, 404, 409, 413)
  async broadcast(
    @Caller() caller: Principal,
    @Body() body: SendBroadcastRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ContextMessageResponse> {
    const sourceAgent = this.access.senderOf(caller, body.sourceAgent);
    return published(reply, await this.brain.publishBroadcast({ ...body, sourceAgent }));
  }

  @Get('agents/:id/messages')
  @ApiOperation({
    summary: 'Messages pending for the agent (that agent, or the admin)',
    description:
      'Order: critical, high, medium, low; oldest first within a priority. Without `consumer` a peek that changes ' +
      'nothing; with it, lease mode (hidden from the other consumers for BRAIN_VISIBILITY_TIMEOUT_MS). A long poll ' +
      '(`wait`) whose agent token stops working while it waits (rotated, or the agent deleted) ends with 401 and ' +
      'leases nothing.',
  })
  @ApiAgentIdParam('id', 'the recipient')
  @ApiOkResponse({ type: ContextMessageListResponse })
  @ApiErrors(400, 403, 404)
  async pending(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Query() query: PendingQuery,
    @Headers('authorization') authorization?: string,
  ): Promise<ContextMessageListResponse> {
    await this.access.actAs(caller, id);
    const messages = await this.brain.getPending(id, {
      count: query.count ?? DEFAULT_PENDING_COUNT,
      waitMs: query.wait ?? 0,
      consumer: query.consumer,
      priority: query.priority,
      // A long poll outlives its authentication: it ends with 401 if its token stops working while it waits.
      stillAuthorized: query.wait ? this.agents.revocationCheck(caller, authorization) : undefined,
    });
    return toContextMessageListResponse(messages);
  }

  @Post('messages/:messageId/ack')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Acknowledge a message as its recipient (idempotent); a dead-lettered one leaves the dead letters',
  })
  @ApiMessageIdParam()
  @ApiOkResponse({ type: AcknowledgementResponse })
  @ApiErrors(400, 403, 404)
  async acknowledge(
    @Caller() caller: Principal,
    @Param('messageId', MessageIdPipe) messageId: string,
    @Body() body: AcknowledgeRequest,
  ): Promise<AcknowledgementResponse> {
    const agentId = this.access.recipientOf(caller, body.agentId);
    return toAcknowledgementResponse(await this.brain.acknowledgeMessage(messageId, agentId));
  }

  @Post('messages/:messageId/lease')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Keep a leased message from the agent’s other consumers for extendMs from now (the consumer holding it)',
    description:
      'For work that outlives BRAIN_VISIBILITY_TIMEOUT_MS. Not acknowledged by leasedUntil, it is handed out again. ' +
      '409 if another consumer of the agent holds it now; 404 if this consumer does not hold it.',
  })
  @ApiMessageIdParam()
  @ApiOkResponse({ type: LeaseResponse })
  @ApiErrors(400, 403, 404, 409)
  async extendLease(
    @Caller() caller: Principal,
    @Param('messageId', MessageIdPipe) messageId: string,
    @Body() body: ExtendLeaseRequest,
  ): Promise<LeaseResponse> {
    const agentId = this.access.recipientOf(caller, body.agentId);
    return this.brain.extendLease(messageId, agentId, body.consumer, body.extendMs);
  }

  @Post('messages/:messageId/nack')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Give a message back as its recipient: requeue it (now or after delayMs) or dead-letter it',
    description:
      'requeue (default): the lease ends now or after delayMs and the message is pending again, its deliveryCount ' +
      'kept (it counts toward BRAIN_MAX_DELIVERIES); a message never leased (peek) is pending already and stays ' +
      "so. requeue false: to the agent's dead letters now, reason rejected, `reason` as detail. A message already " +
      "among the agent's dead letters stays there (outcome dead_lettered, nothing changes): requeue it with " +
      '`POST /v1/agents/{id}/dead-letters/{messageId}/requeue`. ' +
      '404 if not addressed to the agent or already acknowledged; 409 if another consumer holds the lease.',
  })
  @ApiMessageIdParam()
  @ApiOkResponse({ type: NackResponse })
  @ApiErrors(400, 403, 404, 409)
  async nack(
    @Caller() caller: Principal,
    @Param('messageId', MessageIdPipe) messageId: string,
    @Body() body: NackRequest,
  ): Promise<NackResponse> {
    const agentId = this.access.recipientOf(caller, body.agentId);
    const { consumer, reason, requeue, delayMs } = body;
    return this.brain.nack(messageId, agentId, { consumer, reason, requeue, delayMs });
  }

  @Post('agents/:id/acks')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Acknowledge many messages at once (that agent, or the admin); unknown ids are skipped',
  })
  @ApiAgentIdParam('id', 'the recipient')
  @ApiOkResponse({ type: AcknowledgedCountResponse })
  @ApiErrors(400, 403, 404, 413)
  async acknowledgeMany(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Body() body: AcknowledgeManyRequest,
  ): Promise<AcknowledgedCountResponse> {
    await this.access.actAs(caller, id);
    return { acknowledged: await this.brain.acknowledgeMany(id, body.ids) };
  }

  @Get('messages/:messageId')
  @ApiOperation({
    summary: 'A message and its delivery status (its sender, its recipients, or the admin)',
    description: 'To any other agent the message does not exist: 404, exactly as for an unknown id.',
  })
  @ApiMessageIdParam()
  @ApiOkResponse({ type: MessageWithStatusResponse })
  @ApiErrors(400, 404)
  async get(
    @Caller() caller: Principal,
    @Param('messageId', MessageIdPipe) messageId: string,
  ): Promise<MessageWithStatusResponse> {
    const { message, status, recipients } = await this.brain.getMessage(messageId);
    await this.access.assertCanRead(caller, messageId, message, recipients);
    return toMessageWithStatusResponse(message, status);
  }

  @Get('agents/:id/dead-letters')
  @ApiOperation({
    summary: `Messages that reached BRAIN_MAX_DELIVERIES without an ack or were rejected by a nack, newest first, until acknowledged or requeued (that agent, or the admin)`,
    description:
      'A page holds at most `limit` letters and BRAIN_MAX_PAGE_BYTES of JSON; `nextCursor` continues it.',
  })
  @ApiAgentIdParam('id', 'the recipient')
  @ApiOkResponse({ type: DeadLetterListResponse })
  @ApiErrors(400, 403, 404)
  async deadLetters(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Query() query: DeadLettersQuery,
  ): Promise<DeadLetterListResponse> {
    await this.access.actAs(caller, id);
    return toDeadLetterListResponse(
      await this.brain.deadLetters(id, query.limit ?? DEFAULT_DEAD_LETTER_LIMIT, query.cursor),
    );
  }

  @Post('agents/:id/dead-letters/:messageId/requeue')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Make a dead letter pending again, with deliveryCount 0 (that agent, or the admin); 409 if the agent acknowledged it',
  })
  @ApiAgentIdParam('id', 'the recipient')
  @ApiMessageIdParam()
  @ApiOkResponse({ type: ContextMessageResponse })
  @ApiErrors(400, 403, 404, 409)
  async requeue(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Param('messageId', MessageIdPipe) messageId: string,
    @Body() _body: EmptyRequest,
  ): Promise<ContextMessageResponse> {
    await this.access.actAs(caller, id);
    return toContextMessageResponse(await this.brain.requeue(id, messageId));
  }
}

/** 201 for a new message, 200 for an idempotent replay of a known id. */
function published(reply: FastifyReply, result: PublishResult): ContextMessageResponse {
  void reply.status(result.created ? 201 : 200);
  return toContextMessageResponse(result.message);
}
