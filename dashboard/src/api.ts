/**
 * The dashboard's only way to Brain: the REST API with the admin token. The token lives in sessionStorage (gone
 * when the tab closes), never in a URL or a cookie.
 */
const TOKEN_KEY = 'brain.adminToken';

export type Priority = 'critical' | 'high' | 'medium' | 'low';
export const PRIORITIES: Priority[] = ['critical', 'high', 'medium', 'low'];

export interface Stats {
  totalMessages: number;
  pendingMessages: number;
  acknowledgedMessages: number;
  deadLetters: number;
  archiveLag: number;
}

export interface ThroughputSeries {
  stepSeconds: number;
  windowSeconds: number;
  items: { at: string; published: number; acknowledged: number }[];
}

export interface Agent {
  id: string;
  name: string | null;
  capabilities: string[];
  lastSeenAt: string | null;
}

export interface AgentStats {
  agentId: string;
  pending: Record<Priority, number>;
  pendingMessages: number;
  deadLetters: number;
}

export interface Message {
  id: string;
  fromAgent: string;
  toAgent: string;
  timestamp: string;
  payload: Record<string, unknown>;
  priority: Priority;
  type: string | null;
  deliveryCount: number;
}

export interface DeadLetter extends Message {
  reason: string;
  detail?: string | null;
  deadAt: string;
}

export interface MessageStatus {
  acknowledged: boolean;
  acknowledgedBy: string[];
  pendingFor: string[];
  deadLetteredFor?: string[];
  expired?: boolean;
}

export interface HistoryRecord {
  id: string;
  agentId: string;
  kind: 'context' | 'message';
  type: string | null;
  context: Record<string, unknown>;
  createdAt: string;
  fromAgent?: string;
  toAgent?: string;
  messageId?: string;
}

export interface List<T> {
  items: T[];
  nextCursor?: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Called when Brain refuses the stored token (401): the app goes back to the sign-in form. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T>(path: string, options: { method?: string; token?: string } = {}): Promise<T> {
  const token = options.token ?? storedToken() ?? '';
  const method = options.method ?? 'GET';
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    body: method === 'POST' ? '{}' : undefined,
    cache: 'no-store',
  });
  const body = (await response.json().catch(() => ({}))) as { message?: string | string[] };
  if (!response.ok) {
    if (response.status === 401 && !options.token) onUnauthorized();
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    throw new ApiError(response.status, message ?? `${response.status} ${response.statusText}`);
  }
  return body as T;
}

export const enc = encodeURIComponent;
