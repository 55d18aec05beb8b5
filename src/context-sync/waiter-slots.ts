import { Logger } from '@nestjs/common';
import { TooManyRequestsError } from '../common/errors';

/** A waiter that was refused may come back this soon: a slot frees whenever any long poll answers. */
export const WAITER_RETRY_AFTER_SECONDS = 1;
const REFUSALS_LOGGED_EVERY_MS = 60_000;

/** A place among the BRAIN_MAX_WAITERS long polls and event streams open at once. Releasing twice is harmless. */
export interface WaiterSlot {
  release(): void;
}

/**
 * Bounds how many requests wait at once (long polls, and event streams later), so one agent holding many cannot
 * exhaust a replica. Beyond the limit a request is refused with 429 at once instead of waiting, and the refusals
 * are logged at most once a minute, with their count: a client retrying in a loop must not flood the log.
 */
export class WaiterSlots {
  private used = 0;
  private refusedSinceReport = 0;
  private lastReportAt = -Infinity;

  constructor(
    private readonly limit: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes a slot, or throws TooManyRequestsError (429, Retry-After) when all are taken. */
  acquire(): WaiterSlot {
    if (this.used >= this.limit) {
      this.reportRefusal();
      throw new TooManyRequestsError(
        `too many long polls and event streams are waiting (BRAIN_MAX_WAITERS is ${this.limit}); ` +
          `retry after ${WAITER_RETRY_AFTER_SECONDS} s`,
        WAITER_RETRY_AFTER_SECONDS,
      );
    }
    this.used += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.used -= 1;
      },
    };
  }

  private reportRefusal(): void {
    this.refusedSinceReport += 1;
    const now = this.now();
    if (now - this.lastReportAt < REFUSALS_LOGGED_EVERY_MS) return;
    this.logger.warn(
      `BRAIN_MAX_WAITERS (${this.limit}) long polls and event streams are waiting; ` +
        `${this.refusedSinceReport} refused with 429 since the last report`,
    );
    this.lastReportAt = now;
    this.refusedSinceReport = 0;
  }
}
