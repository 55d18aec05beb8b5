import { backoffDelay, retryPolicy, sleep } from '../retry';

export interface AckSink {
  acknowledgeMany(agentId: string, ids: string[]): Promise<unknown>;
}

const MAX_IDS_PER_CALL = 1000;
const RETRY = retryPolicy({ maxAttempts: Number.MAX_SAFE_INTEGER, baseDelayMs: 100, maxDelayMs: 2000 });

/**
 * Acknowledges in batches (`POST /v1/agents/{id}/acks`): ids gathered for `flushMs` or until `batchSize`, one call
 * at a time. A failed call is retried with backoff until it succeeds or `close(deadline)` gives up: an id is
 * reported to `onAcknowledged` once, after the server said so.
 */
export class AckBatcher {
  private queue: string[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private giveUpAt = Infinity;

  constructor(
    private readonly sink: AckSink,
    private readonly agentId: string,
    private readonly batchSize: number,
    private readonly flushMs: number,
    private readonly onAcknowledged: (ids: string[]) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  add(id: string): void {
    this.queue.push(id);
    if (this.queue.length >= this.batchSize) this.flushNow();
    else this.timer ??= setTimeout(() => this.flushNow(), this.flushMs);
  }

  /** Flushes everything; failing calls are retried until `deadline` (epoch ms), then the rest is left to lease expiry. */
  async close(deadline: number): Promise<string[]> {
    this.giveUpAt = deadline;
    this.flushNow();
    while (this.flushing) await this.flushing;
    return this.queue.splice(0);
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      // Ids added while the last call was finishing.
      if (this.queue.length > 0 && this.giveUpAt === Infinity)
        this.timer ??= setTimeout(() => this.flushNow(), 0);
    });
  }

  private async drain(): Promise<void> {
    let failures = 0;
    while (this.queue.length > 0) {
      const ids = this.queue.slice(0, MAX_IDS_PER_CALL);
      try {
        await this.sink.acknowledgeMany(this.agentId, ids);
        this.queue.splice(0, ids.length);
        failures = 0;
        this.onAcknowledged(ids);
      } catch (error) {
        this.onError(error);
        failures++;
        const wait = backoffDelay(RETRY, failures);
        if (Date.now() + wait > this.giveUpAt) return;
        await sleep(wait);
      }
    }
  }
}
