import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AppProcess } from './app-process';
import { RegisteredAgent } from './http-target';

/** Called with a message id and the moment (performance.now()) its event or poll answer reached the consumer. */
export type OnReceived = (messageId: string, at: number) => void;

export interface EventStreamClient {
  /** Events received so far. */
  readonly received: number;
  /** Set when the stream ended without being closed here (the server ended it or the socket broke). */
  readonly endedBy?: string;
  close(): void;
}

/**
 * GET /v1/agents/{id}/events on its own socket, parsed as Server-Sent Events just far enough to take each event's
 * id: the receive time is when the chunk holding the event arrived, before anything is parsed. Resolves once the
 * answer's head arrived (200); any other status rejects with the body.
 */
export function openEventStream(
  app: Pick<AppProcess, 'host' | 'port'>,
  agent: RegisteredAgent,
  query: string,
  onReceived: OnReceived,
): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    let closing = false;
    const req = request(
      {
        host: app.host,
        port: app.port,
        path: `/v1/agents/${agent.id}/events${query}`,
        headers: { authorization: `Bearer ${agent.token}`, accept: 'text/event-stream' },
        agent: false,
      },
      (response) => {
        if (response.statusCode !== 200) {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () =>
            reject(new Error(`GET …/events answered ${response.statusCode}: ${body}`)),
          );
          return;
        }
        const client = { received: 0, endedBy: undefined as string | undefined, close };
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (frame.startsWith('id: ')) {
              client.received += 1;
              onReceived(frame.slice(4, frame.indexOf('\n')), at);
            }
            end = buffer.indexOf('\n\n');
          }
        });
        response.on('close', () => {
          if (!closing) client.endedBy ??= 'the server ended the stream';
        });
        resolve(client);
      },
    );
    function close(): void {
      closing = true;
      req.destroy();
    }
    req.on('error', (error) => {
      if (!closing) reject(error);
    });
    req.end();
  });
}

/**
 * A long-poll consumer as a worker would write one: GET …/messages?consumer=&wait= and, as soon as it answers, the
 * next poll (acknowledging is left to an AckBatcher, off the polling path). Runs until `stop()`.
 */
export class LongPollConsumer {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  polls = 0;
  errors = 0;

  constructor(
    private readonly app: Pick<AppProcess, 'url'>,
    private readonly agent: RegisteredAgent,
    private readonly query: string,
    private readonly onReceived: OnReceived,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const url = `${this.app.url}/v1/agents/${this.agent.id}/messages${this.query}`;
    const headers = { authorization: `Bearer ${this.agent.token}` };
    while (!this.abort.signal.aborted) {
      try {
        const response = await fetch(url, { headers, signal: this.abort.signal });
        const at = performance.now();
        this.polls += 1;
        if (response.status !== 200) {
          this.errors += 1;
          await response.text();
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        const { items } = (await response.json()) as { items: { id: string }[] };
        for (const item of items) this.onReceived(item.id, at);
      } catch {
        if (!this.abort.signal.aborted) this.errors += 1;
      }
    }
  }
}

/**
 * Acknowledges an agent's received messages in batches (POST /v1/agents/{id}/acks every `everyMs`), as both kinds
 * of consumer do alike, so that neither the acknowledgements' cost nor their timing favours one of them.
 */
export class AckBatcher {
  private readonly ids: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();
  acknowledged = 0;
  errors = 0;

  constructor(
    private readonly app: Pick<AppProcess, 'url'>,
    private readonly agent: RegisteredAgent,
    everyMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), everyMs);
  }

  add(messageId: string): void {
    this.ids.push(messageId);
  }

  /** Flushes what is left and stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    await this.inFlight;
  }

  private flush(): void {
    if (this.ids.length === 0) return;
    const ids = this.ids.splice(0, 1000);
    this.inFlight = this.inFlight.then(async () => {
      try {
        const response = await fetch(`${this.app.url}/v1/agents/${this.agent.id}/acks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.agent.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ids }),
        });
        await response.text();
        if (response.status === 200) this.acknowledged += ids.length;
        else this.errors += 1;
      } catch {
        this.errors += 1;
      }
    });
  }
}
