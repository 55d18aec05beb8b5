/**
 * A measurement taken at most once per `maxAgeMs`, however often it is asked for: scrapes (every replica, every
 * Prometheus) read the cached value instead of each costing a round of Redis commands. Concurrent askers share one
 * measurement; a failed one is remembered for the same time, so a dead dependency is not hammered either.
 */
export class Snapshot<T> {
  private current: Promise<T> | undefined;
  private takenAt = 0;

  constructor(
    private readonly measure: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    if (!this.current || this.now() - this.takenAt >= this.maxAgeMs) {
      this.takenAt = this.now();
      this.current = Promise.resolve().then(this.measure);
      // The rejection is handed to whoever asks; this only keeps an unasked one from being "unhandled".
      this.current.catch(() => undefined);
    }
    return this.current;
  }
}
