/** What MemoryService hands out (contract: MemoryRecord, lists, insights). Dates are ISO-8601 strings in UTC. */

export const VISIBILITIES = ['shared', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export interface MemoryRecord {
  id: string;
  agentId: string;
  kind: 'context' | 'message';
  type: string | null;
  context: Record<string, unknown>;
  tags: string[];
  visibility: Visibility;
  createdAt: string;
  expiresAt: string | null;
  /** Only for kind 'message'. */
  fromAgent?: string;
  toAgent?: string;
  messageId?: string;
  /** Only for kind 'message': the message it answers, or null. */
  inReplyTo?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Opaque; null on the last page. */
  nextCursor: string | null;
}

export interface StoreMemoryInput {
  context: Record<string, unknown>;
  type?: string | null;
  tags?: string[];
  visibility?: Visibility;
  ttlSeconds?: number;
}

/** Who is asking: an agent sees other agents' shared records only; the owner and the admin see everything. */
export type MemoryViewer = { agentId: string } | { admin: true };

export interface PageQuery {
  /** 1..1000. */
  limit: number;
  cursor?: string;
}

export interface MemoryQuery extends PageQuery {
  type?: string;
  /** All must match. */
  tags?: string[];
  /** Full text (websearch syntax: words, "a phrase", -not, or). */
  q?: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
}

export interface AgentActivity {
  agentId: string;
  /** Messages it sent in the window, broadcasts included (each once). */
  sent: number;
  /** Direct messages addressed to it in the window (broadcasts are not counted here). */
  received: number;
  /** Memories it stored in the window that are not expired (shared and private). */
  memories: number;
}

export interface PairActivity {
  from: string;
  /** An agent id, or 'broadcast'. */
  to: string;
  count: number;
  lastAt: string;
}

export interface Insights {
  since: string;
  until: string;
  agents: AgentActivity[];
  pairs: PairActivity[];
  topTypes: { type: string; count: number }[];
  topTags: { tag: string; count: number }[];
}
