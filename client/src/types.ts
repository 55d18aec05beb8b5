import type { components, operations } from './generated/openapi';

type Schemas = components['schemas'];
type QueryOf<K extends keyof operations> = NonNullable<operations[K]['parameters']['query']>;

export type Priority = Schemas['ContextMessageResponse']['priority'];
export type ContextMessage = Schemas['ContextMessageResponse'];
export type ContextMessageList = Schemas['ContextMessageListResponse'];
export type MessageWithStatus = Schemas['MessageWithStatusResponse'];
export type MessageStatus = Schemas['MessageStatusResponse'];
export type DeadLetter = Schemas['DeadLetterResponse'];
export type DeadLetterList = Schemas['DeadLetterListResponse'];
export type Acknowledgement = Schemas['AcknowledgementResponse'];
export type AcknowledgedCount = Schemas['AcknowledgedCountResponse'];

export type Agent = Schemas['AgentResponse'];
export type AgentList = Schemas['AgentListResponse'];
export type RegisterAgentRequest = Schemas['RegisterAgentRequest'];
export type RegisteredAgent = Schemas['RegisteredAgentResponse'];
export type TokenResponse = Schemas['TokenResponse'];

/** `POST /v1/messages`; `id` is chosen by the client when absent, so that a retry cannot duplicate the message. */
export type SendRequest = Schemas['SendMessageRequest'];
export type BroadcastRequest = Schemas['SendBroadcastRequest'];
export type PendingQuery = QueryOf<'Messages_pending'>;
export type EventsQuery = QueryOf<'Events_events'>;
export type DeadLettersQuery = QueryOf<'Messages_deadLetters'>;

export type StoreMemoryRequest = Schemas['StoreMemoryRequest'];
export type MemoryRecord = Schemas['MemoryRecordResponse'];
export type MemoryRecordPage = Schemas['MemoryRecordPageResponse'];
export type MemoriesQuery = QueryOf<'Memories_query'>;
export type HistoryQuery = QueryOf<'Memories_history'>;
export type ConversationQuery = QueryOf<'Memories_conversation'>;
export type InsightsQuery = QueryOf<'Memories_insights'>;
export type Insights = Schemas['InsightsResponse'];

export type Stats = Schemas['StatsResponse'];
export type AgentStats = Schemas['AgentStatsResponse'];
export type AgentStatsList = Schemas['AgentStatsListResponse'];
export type ThroughputSeries = Schemas['ThroughputSeriesResponse'];

/*
 * Contract v1.1 "Consumers: reject, retry later, hold longer": not in the server's OpenAPI document yet (the server
 * answers 404 until it implements them), so written from the contract. Replace with the generated types once there.
 */
export interface NackRequest {
  consumer?: string;
  /** At most 500 characters. */
  reason?: string;
  /** true (default): pending again, after `delayMs`; false: to the dead letters now, reason `rejected`. */
  requeue?: boolean;
  /** 0..3600000 */
  delayMs?: number;
}

export interface NackResponse {
  id: string;
  agentId: string;
  outcome: 'requeued' | 'dead_lettered';
}

export interface ExtendLeaseRequest {
  consumer: string;
  /** 1..3600000 */
  extendMs: number;
}

export interface LeaseResponse {
  id: string;
  consumer: string;
  leasedUntil: string;
}
