import type { ServerResponse } from 'node:http';
import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, PickType } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AgentsService } from '../agents/agents.service';
import { Caller, Principal } from '../agents/auth/principal';
import { hijackKeepingHeaders } from '../common/hijack';
import { ContextMessage, EVENT_BATCH, EventSink } from '../context-sync/context-message';
import { ContextSyncService } from '../context-sync/context-sync.service';
import { AccessPolicy } from './access.policy';
import { ApiErrors } from './dto/error.dto';
import { PendingQuery, toContextMessageResponse } from './dto/message.dto';
import { AgentIdPipe, ApiAgentIdParam } from './dto/validation';

/** The pending route's `consumer` and `priority`, with its validation rules. */
export class EventsQuery extends PickType(PendingQuery, ['consumer', 'priority'] as const) {}

/** What a client that lost its stream waits before reconnecting (EventSource's `retry`). */
const RECONNECT_MS = 1000;

const EVENT_FORMAT =
  'Server-Sent Events. Each message: `id: <message id>`, `event: message`, `data: <ContextMessage JSON, the same ' +
  'object as in GET …/messages>`, then an empty line. First every pending message in the pending order, then new ' +
  'ones as they arrive. A comment line (`: keep-alive`) every BRAIN_SSE_KEEPALIVE_MS (15 s). When the replica ' +
  'shuts down the stream ends with `: shutting down` and the client reconnects (EventSource does so by itself).';

const SEMANTICS =
  'Messages still need acknowledging (any ack route); an acknowledged message is never pushed again.\n\n' +
  '**Without `consumer` (peek)** nothing is leased: each pending message is pushed once per connection, and a ' +
  `reconnect starts again from everything unacknowledged. At most ${EVENT_BATCH} unacknowledged messages are in ` +
  'flight: further ones follow as those are acknowledged (within ~2 s).\n\n' +
  '**With `consumer`** it is a lease consumer exactly like `GET …/messages?consumer=`: each message is leased to ' +
  'it as it is pushed; one not acknowledged within BRAIN_VISIBILITY_TIMEOUT_MS is pushed again (to whichever ' +
  'consumer reads first) with a higher `deliveryCount`.\n\n' +
  '**Reconnecting** (`Last-Event-ID` may be sent; Brain needs nothing from it, because the consumer group in ' +
  'Redis remembers what each consumer holds): every message published while disconnected arrives; a message ' +
  'this consumer holds under an unexpired lease, whether or not the client received it before the connection ' +
  'dropped, is pushed again only when its lease expires.\n\n' +
  "A stream opened with an agent's token ends (within BRAIN_SSE_KEEPALIVE_MS) once that token stops working: " +
  'rotated or its agent deleted; nothing is pushed after that.\n\n' +
  'Streams count against BRAIN_MAX_WAITERS together with long polls: beyond it 429 with Retry-After. Brain reads ' +
  `at most ${EVENT_BATCH} messages at a time and reads more only once the client has taken them.`;

/** Push: `GET /v1/agents/{id}/events`, pending then live messages as Server-Sent Events. */
@ApiTags('messages')
@ApiBearerAuth()
@Controller('v1')
export class EventsController {
  constructor(
    private readonly contextSync: ContextSyncService,
    private readonly access: AccessPolicy,
    private readonly agents: AgentsService,
  ) {}

  @Get('agents/:id/events')
  @ApiOperation({
    summary: 'Push: pending and then new messages as Server-Sent Events (that agent, or the admin)',
    description: SEMANTICS,
  })
  @ApiAgentIdParam('id', 'the recipient')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'sent by EventSource on reconnect; accepted, and not needed (see above)',
  })
  @ApiOkResponse({
    description: EVENT_FORMAT,
    content: { 'text/event-stream': { schema: { type: 'string', example: exampleEvent() } } },
  })
  @ApiErrors(400, 403, 404)
  async events(
    @Caller() caller: Principal,
    @Param('id', AgentIdPipe) id: string,
    @Query() query: EventsQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.access.actAs(caller, id);
    // Refusals (404, 429) are ordinary JSON answers: nothing is written before this returns.
    // An agent's token may be rotated away or its agent deleted while the stream is open: then it ends.
    const stillAuthorized = this.agents.revocationCheck(caller, request.headers.authorization);
    const stream = await this.contextSync.openEventStream(id, {
      consumer: query.consumer,
      priority: query.priority,
      stillAuthorized,
    });
    // The stream outlives this handler: Fastify must not answer or time it (helmet's headers go with the stream).
    hijackKeepingHeaders(reply);
    const sink = new SseResponse(reply.raw, request.id);
    void stream.run(sink);
  }
}

/** The HTTP response as an EventSink: SSE frames, with the socket's backpressure passed on to the stream. */
class SseResponse implements EventSink {
  readonly gone: Promise<void>;

  constructor(
    private readonly response: ServerResponse,
    requestId: string,
  ) {
    this.gone = new Promise((resolve) => response.once('close', resolve));
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // nginx (and proxies like it) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
      'x-request-id': requestId,
    });
    void this.write(`retry: ${RECONNECT_MS}\n\n`);
  }

  messages(messages: ContextMessage[]): Promise<void> {
    return this.write(messages.map(frame).join(''));
  }

  keepAlive(): Promise<void> {
    // A client that does not read gets nothing more queued, not even this.
    return this.response.writableNeedDrain ? Promise.resolve() : this.write(': keep-alive\n\n');
  }

  end(reconnect: boolean): void {
    if (this.response.writableEnded || this.response.destroyed) return;
    const socket = this.response.socket;
    this.response.end(reconnect ? ': shutting down, reconnect\n\n' : undefined, () => {
      // Closed rather than kept alive: the client reconnects at once, and the server need not wait for it.
      if (reconnect) socket?.end();
    });
  }

  /** Resolves at once, or when the socket drained after a write it could not take, or when the client left. */
  private write(chunk: string): Promise<void> {
    if (this.response.writableEnded || this.response.destroyed) return Promise.resolve();
    if (this.response.write(chunk)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.response.off('drain', done);
        this.response.off('close', done);
        resolve();
      };
      this.response.once('drain', done);
      this.response.once('close', done);
    });
  }
}

function frame(message: ContextMessage): string {
  // JSON.stringify escapes line breaks, so the data is one line.
  return `id: ${message.id}\nevent: message\ndata: ${JSON.stringify(toContextMessageResponse(message))}\n\n`;
}

function exampleEvent(): string {
  return (
    'id: 3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f\nevent: message\ndata: {"id":"3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f",' +
    '"fromAgent":"nova","toAgent":"dexter","timestamp":"2026-01-01T12:00:00.000Z","payload":{"task":"review"},' +
    '"priority":"high","type":"task","deliveryCount":1}\n\n: keep-alive\n\n'
  );
}
