import { ServerSentEvent, SseParser } from './sse-parser';

/** An answer of 200 that is not `text/event-stream` (a proxy's page, an older server's fallback route). */
export class NotAnEventStreamError extends Error {
  constructor(readonly contentType: string | null) {
    super(`expected text/event-stream, got ${contentType ?? 'no content type'}`);
    this.name = 'NotAnEventStreamError';
  }
}

/**
 * An open `GET /v1/agents/{id}/events`: iterate it for the events of each chunk the network delivers (an array per
 * chunk, often one event); the iteration ends when the server ends the stream and throws when the connection
 * breaks. Not reading it is backpressure: the socket's buffers fill and the server stops writing (and leasing).
 */
export class EventStream implements AsyncIterable<ServerSentEvent[]> {
  private readonly parser = new SseParser();

  constructor(private readonly response: Response) {
    const contentType = response.headers.get('content-type');
    if (!/^text\/event-stream\b/i.test(contentType ?? '')) {
      void response.body?.cancel().catch(() => undefined);
      throw new NotAnEventStreamError(contentType);
    }
  }

  /** The id of the last event received: `Last-Event-ID` for the next connection. */
  get lastEventId(): string {
    return this.parser.lastEventId;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ServerSentEvent[]> {
    const body = this.response.body;
    if (!body) return;
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const events = this.parser.feed(decoder.decode(value, { stream: true }));
        if (events.length > 0) yield events;
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}
