/* eslint-disable @typescript-eslint/no-explicit-any -- event data is JSON of any shape; the suites assert it. */
import { waitFor } from '../support/test-environment';
import { BrainClient } from './brain-client';

/** One Server-Sent Event as the client saw it, or a comment line (`comment` set), with when it arrived. */
export interface ReceivedEvent {
  id?: string;
  event?: string;
  data?: any;
  retry?: number;
  comment?: string;
  at: number;
}

/** Reads an event stream of the app in the background and keeps every event, for the suites to await. */
export class SseReader {
  readonly events: ReceivedEvent[] = [];
  readonly ended: Promise<void>;
  private readonly abort = new AbortController();
  private buffer = '';
  private finished = false;

  private constructor(readonly response: Response) {
    this.ended = this.read().finally(() => (this.finished = true));
  }

  /** Opens the stream; throws with the answer when it is not a 200 event stream. */
  static async open(
    client: BrainClient,
    path: string,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<SseReader> {
    const controller = new AbortController();
    const answer = await client.stream(path, token, headers, controller.signal);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    const reader = new SseReader(answer.response);
    reader.abort.signal.addEventListener('abort', () => controller.abort());
    return reader;
  }

  get isEnded(): boolean {
    return this.finished;
  }

  /** The `message` events so far. */
  get messages(): ReceivedEvent[] {
    return this.events.filter((event) => event.event === 'message');
  }

  get comments(): ReceivedEvent[] {
    return this.events.filter((event) => event.comment !== undefined);
  }

  /** Waits until at least `count` message events arrived; returns them all. */
  async waitForMessages(count: number, timeoutMs = 10000): Promise<ReceivedEvent[]> {
    await waitFor(
      () => this.messages.length >= count || this.finished,
      `${count} message events`,
      timeoutMs,
      5,
    );
    if (this.messages.length < count)
      throw new Error(`the stream ended after ${this.messages.length} messages`);
    return this.messages;
  }

  /** Waits for the message event with this id (`deliveryCount` at least `minDeliveries`). */
  async waitForMessage(id: string, minDeliveries = 0, timeoutMs = 10000): Promise<ReceivedEvent> {
    const find = () => this.messages.find((e) => e.id === id && e.data.deliveryCount >= minDeliveries);
    await waitFor(
      () => find() !== undefined,
      `message ${id} (deliveryCount >= ${minDeliveries})`,
      timeoutMs,
      5,
    );
    return find()!;
  }

  close(): void {
    this.abort.abort();
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          this.parse(this.buffer.slice(0, end));
          this.buffer = this.buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted by close(), or the server went away: the stream ended either way
    }
  }

  private parse(block: string): void {
    const event: ReceivedEvent = { at: Date.now() };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) event.comment = line.slice(1).trim();
      else if (line.startsWith('id: ')) event.id = line.slice(4);
      else if (line.startsWith('event: ')) event.event = line.slice(7);
      else if (line.startsWith('data: ')) event.data = JSON.parse(line.slice(6));
      else if (line.startsWith('retry: ')) event.retry = Number(line.slice(7));
    }
    this.events.push(event);
  }
}
