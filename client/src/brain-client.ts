import { randomUUID } from 'node:crypto';
import { ConsumeOptions, Consumer, ConsumerHandle } from './consumer/consumer';
import { EventStream } from './consumer/event-stream';
import { HttpTransport, QueryValue, TransportOptions } from './http';
import type {
  AcknowledgedCount,
  Acknowledgement,
  Agent,
  AgentList,
  AgentStats,
  AgentStatsList,
  BroadcastRequest,
  ContextMessage,
  ContextMessageList,
  ConversationQuery,
  DeadLetterList,
  DeadLettersQuery,
  EventsQuery,
  ExtendLeaseRequest,
  HistoryQuery,
  Insights,
  InsightsQuery,
  LeaseResponse,
  MemoriesQuery,
  MemoryRecord,
  MemoryRecordPage,
  MessageWithStatus,
  NackRequest,
  NackResponse,
  PendingQuery,
  RegisterAgentRequest,
  RegisteredAgent,
  SendRequest,
  Stats,
  StoreMemoryRequest,
  ThroughputSeries,
  TokenResponse,
} from './types';

export type BrainClientOptions = TransportOptions;

/** Per call: abort it (and its retries) with `signal`. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * A typed method for every route of Brain's REST API, each retried on network errors (when repeating it is harmless),
 * 429 and 503; errors are {@link BrainError} subclasses. `consume()` runs a consumer loop.
 *
 *   const brain = new BrainClient({ baseUrl: 'http://127.0.0.1:3000', token });
 *   const message = await brain.send({ targetAgent: 'dexter', context: { query: 'Q3 sales' } });
 */
export class BrainClient {
  private readonly http: HttpTransport;

  constructor(options: BrainClientOptions) {
    this.http = new HttpTransport(options);
  }

  // --- agents ---

  /** Admin. The answer's `token` is shown only this once. */
  registerAgent(request: RegisterAgentRequest, options?: CallOptions): Promise<RegisteredAgent> {
    return this.post('/v1/agents', request, false, options);
  }

  listAgents(query: { capability?: string } = {}, options?: CallOptions): Promise<AgentList> {
    return this.get('/v1/agents', query, options);
  }

  getAgent(agentId: string, options?: CallOptions): Promise<Agent> {
    return this.get(`/v1/agents/${seg(agentId)}`, {}, options);
  }

  /** Admin. Its live streams go, its history stays. */
  async deleteAgent(agentId: string, options?: CallOptions): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: `/v1/agents/${seg(agentId)}`,
      idempotent: false,
      ...options,
    });
  }

  /** Admin. The old token stops working at once. */
  rotateToken(agentId: string, options?: CallOptions): Promise<TokenResponse> {
    return this.post(`/v1/agents/${seg(agentId)}/token`, undefined, false, options);
  }

  // --- messages ---

  /**
   * `POST /v1/messages`. Without `request.id` the client picks one, so every retry carries the same id and the server
   * answers a repeat with the original message: a retry never duplicates it.
   */
  send(request: SendRequest, options?: CallOptions): Promise<ContextMessage> {
    return this.post('/v1/messages', { ...request, id: request.id ?? randomUUID() }, true, options);
  }

  /** `POST /v1/broadcasts`, with a client-chosen id as for {@link send}. */
  broadcast(request: BroadcastRequest, options?: CallOptions): Promise<ContextMessage> {
    return this.post('/v1/broadcasts', { ...request, id: request.id ?? randomUUID() }, true, options);
  }

  /** Pending messages: a peek without `consumer`, lease mode with it; `wait` makes it a long poll. */
  pending(agentId: string, query: PendingQuery = {}, options?: CallOptions): Promise<ContextMessageList> {
    return this.http.request({
      method: 'GET',
      path: `/v1/agents/${seg(agentId)}/messages`,
      query,
      idempotent: true,
      extraTimeoutMs: query.wait,
      ...options,
    });
  }

  /**
   * `GET /v1/agents/{id}/events` (Server-Sent Events), opened once (no retries): resolves when the stream is open;
   * aborting `signal` closes it. `lastEventId` is sent as `Last-Event-ID`. `consume()` reconnects for you.
   */
  async events(
    agentId: string,
    query: EventsQuery = {},
    options: CallOptions & { lastEventId?: string } = {},
  ): Promise<EventStream> {
    const headers: Record<string, string> = options.lastEventId
      ? { 'last-event-id': options.lastEventId }
      : {};
    const path = `/v1/agents/${seg(agentId)}/events`;
    const response = await this.http.openStream({ path, query, headers, signal: options.signal });
    return new EventStream(response);
  }

  /** As the recipient; the admin names the recipient with `agentId`. Idempotent. */
  acknowledge(
    messageId: string,
    body: { agentId?: string } = {},
    options?: CallOptions,
  ): Promise<Acknowledgement> {
    return this.post(`/v1/messages/${seg(messageId)}/ack`, body, true, options);
  }

  /** 1..1000 ids at once; unknown ids are skipped. */
  acknowledgeMany(agentId: string, ids: string[], options?: CallOptions): Promise<AcknowledgedCount> {
    return this.post(`/v1/agents/${seg(agentId)}/acks`, { ids }, true, options);
  }

  /** The message and its delivery status (its sender, its recipients, the admin). */
  getMessage(messageId: string, options?: CallOptions): Promise<MessageWithStatus> {
    return this.get(`/v1/messages/${seg(messageId)}`, {}, options);
  }

  /** Contract v1.1: give a message back (requeue, after `delayMs`) or reject it to the dead letters. */
  nack(messageId: string, request: NackRequest = {}, options?: CallOptions): Promise<NackResponse> {
    return this.post(`/v1/messages/${seg(messageId)}/nack`, request, true, options);
  }

  /** Contract v1.1: hold a leased message `extendMs` longer. */
  extendLease(messageId: string, request: ExtendLeaseRequest, options?: CallOptions): Promise<LeaseResponse> {
    return this.post(`/v1/messages/${seg(messageId)}/lease`, request, true, options);
  }

  deadLetters(agentId: string, query: DeadLettersQuery = {}, options?: CallOptions): Promise<DeadLetterList> {
    return this.get(`/v1/agents/${seg(agentId)}/dead-letters`, query, options);
  }

  /** Pending again, deliveryCount 0. */
  requeueDeadLetter(agentId: string, messageId: string, options?: CallOptions): Promise<ContextMessage> {
    const path = `/v1/agents/${seg(agentId)}/dead-letters/${seg(messageId)}/requeue`;
    return this.post(path, undefined, false, options);
  }

  // --- memory ---

  remember(agentId: string, request: StoreMemoryRequest, options?: CallOptions): Promise<MemoryRecord> {
    return this.post(`/v1/agents/${seg(agentId)}/memories`, request, false, options);
  }

  memories(agentId: string, query: MemoriesQuery = {}, options?: CallOptions): Promise<MemoryRecordPage> {
    return this.get(`/v1/agents/${seg(agentId)}/memories`, query, options);
  }

  history(agentId: string, query: HistoryQuery = {}, options?: CallOptions): Promise<MemoryRecordPage> {
    return this.get(`/v1/agents/${seg(agentId)}/history`, query, options);
  }

  conversation(
    a: string,
    b: string,
    query: ConversationQuery = {},
    options?: CallOptions,
  ): Promise<MemoryRecordPage> {
    return this.get(`/v1/conversations/${seg(a)}/${seg(b)}`, query, options);
  }

  insights(query: InsightsQuery = {}, options?: CallOptions): Promise<Insights> {
    return this.get('/v1/insights', query, options);
  }

  // --- operations ---

  /** Admin. */
  stats(options?: CallOptions): Promise<Stats> {
    return this.get('/v1/stats', {}, options);
  }

  statsSeries(options?: CallOptions): Promise<ThroughputSeries> {
    return this.get('/v1/stats/series', {}, options);
  }

  agentsStats(options?: CallOptions): Promise<AgentStatsList> {
    return this.get('/v1/stats/agents', {}, options);
  }

  agentStats(agentId: string, options?: CallOptions): Promise<AgentStats> {
    return this.get(`/v1/agents/${seg(agentId)}/stats`, {}, options);
  }

  /** Admin. Every stream, message, memory and agent is gone. */
  async clearAll(options?: CallOptions): Promise<void> {
    const headers = { 'x-confirm': 'clear-all' };
    await this.http.request({ method: 'DELETE', path: '/v1/data', headers, idempotent: true, ...options });
  }

  /** Prometheus text. */
  metrics(options?: CallOptions): Promise<string> {
    return this.http.request({
      method: 'GET',
      path: '/metrics',
      idempotent: true,
      responseType: 'text',
      ...options,
    });
  }

  // --- consuming ---

  /**
   * Receives the agent's messages in lease mode and runs `handler` on each, up to `concurrency` at once:
   * acknowledged when it resolves, given back (nack, with backoff) when it throws. `stop()` (or aborting `signal`)
   * lets in-flight handlers finish and acknowledges them; it resolves once everything is done.
   */
  consume(options: ConsumeOptions): ConsumerHandle {
    return Consumer.start(this, options);
  }

  private get<T>(path: string, query: object, options?: CallOptions): Promise<T> {
    const values = query as Record<string, QueryValue>;
    return this.http.request({ method: 'GET', path, query: values, idempotent: true, ...options });
  }

  private post<T>(path: string, body: unknown, idempotent: boolean, options?: CallOptions): Promise<T> {
    return this.http.request({ method: 'POST', path, body: body ?? {}, idempotent, ...options });
  }
}

/** Ids are validated by the server; encoding keeps a stray `/` or `?` from addressing another route. */
const seg = (value: string): string => encodeURIComponent(value);
