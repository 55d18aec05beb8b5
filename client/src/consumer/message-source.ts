import type { ContextMessage } from '../types';

/**
 * Where a consumer's messages come from: `SseSource` (the default: pushed over `GET /v1/agents/{id}/events`, long
 * polls when the server has no usable stream) or `LongPollSource`. Every message it answers is leased to the consumer.
 */
export interface MessageSource {
  /** Up to `max` messages leased to this consumer; resolves empty when none came in time. Rejects when `signal` aborts. */
  next(max: number, signal: AbortSignal): Promise<ContextMessage[]>;
  /** Stops receiving; answers the messages received and not handed out by `next` (still leased to this consumer). */
  close?(): Promise<ContextMessage[]>;
}

export interface LeaseReader {
  pending(
    agentId: string,
    query: { consumer: string; count: number; wait: number },
    options: { signal: AbortSignal },
  ): Promise<{ items: ContextMessage[] }>;
}

/** `GET /v1/agents/{id}/messages?consumer=&count=&wait=`: lease mode, held open up to `waitMs` when nothing is pending. */
export class LongPollSource implements MessageSource {
  constructor(
    private readonly client: LeaseReader,
    private readonly agentId: string,
    private readonly consumer: string,
    private readonly waitMs: number,
  ) {}

  async next(max: number, signal: AbortSignal): Promise<ContextMessage[]> {
    const query = { consumer: this.consumer, count: max, wait: this.waitMs };
    const { items } = await this.client.pending(this.agentId, query, { signal });
    return items;
  }
}
