import { BrainError, NotFoundError } from '../errors';
import type { ExtendLeaseRequest, LeaseResponse } from '../types';

export interface LeaseExtender {
  extendLease(messageId: string, request: ExtendLeaseRequest): Promise<LeaseResponse>;
}

interface Held {
  /** When the current lease began (its receipt, or the last extension): it runs out `visibilityMs` later. */
  leasedAt: number;
  extending?: Promise<boolean>;
  /** Called once when the server says this consumer no longer holds it (404, 409). */
  onLost?: () => void;
}

/**
 * Every message this consumer holds — received and waiting for a handler, or being handled — with the time its
 * lease began. Past half the visibility timeout a lease is extended by one more timeout, so nothing held here runs
 * out unnoticed; a message the server says this consumer no longer holds is reported lost (and not kept again).
 */
export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private timer?: NodeJS.Timeout;
  private unsupported = false;

  constructor(
    private readonly client: LeaseExtender,
    private readonly consumer: string,
    private readonly visibilityMs: number,
    private readonly warn: (what: string, error?: unknown) => void,
  ) {}

  has(messageId: string): boolean {
    return this.held.has(messageId);
  }

  get size(): number {
    return this.held.size;
  }

  /** Holds it from `leasedAt` (kept if already held); `onLost` replaces the previous one. */
  hold(messageId: string, leasedAt: number, onLost?: () => void): void {
    const entry = this.held.get(messageId);
    if (entry) entry.onLost = onLost;
    else this.held.set(messageId, { leasedAt, onLost });
    this.timer ??= setInterval(() => this.tick(), Math.min(1000, Math.max(20, this.visibilityMs / 10)));
  }

  release(messageId: string): void {
    this.held.delete(messageId);
    if (this.held.size === 0) this.stop();
  }

  /** Extends it now: true while this consumer holds it (or the server cannot extend leases), false once lost. */
  extendNow(messageId: string): Promise<boolean> {
    const entry = this.held.get(messageId);
    if (!entry) return Promise.resolve(false);
    if (this.unsupported) return Promise.resolve(true);
    entry.extending ??= this.extend(messageId, entry).finally(() => (entry.extending = undefined));
    return entry.extending;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const due = Date.now() - this.visibilityMs / 2;
    for (const [messageId, entry] of this.held) {
      if (entry.leasedAt <= due && !entry.extending) void this.extendNow(messageId);
    }
  }

  private async extend(messageId: string, entry: Held): Promise<boolean> {
    const request = { consumer: this.consumer, extendMs: this.visibilityMs };
    const askedAt = Date.now();
    try {
      await this.client.extendLease(messageId, request);
      entry.leasedAt = askedAt;
      return true;
    } catch (error) {
      if (isMissingRoute(error)) {
        if (!this.unsupported)
          this.warn(
            'this server cannot extend leases (no lease route): a long handler may see its message redelivered',
          );
        this.unsupported = true;
        return true;
      }
      if (error instanceof BrainError && (error.statusCode === 404 || error.statusCode === 409)) {
        // Acknowledged meanwhile, or its lease ran out and another consumer (or none) has it now.
        if (this.held.get(messageId) === entry) this.held.delete(messageId);
        entry.onLost?.();
        if (!entry.onLost) this.warn(`message ${messageId} is no longer leased to this consumer`, error);
        return false;
      }
      this.warn(`extending the lease of message ${messageId} failed`, error);
      return true;
    }
  }
}

/**
 * The answer for a route the server does not have (contract v1.1 routes on an older server): Nest's `Cannot POST
 * /path`, or Fastify's own `Route POST:/path not found`; a missing message names the message instead.
 */
export const isMissingRoute = (error: unknown): boolean =>
  error instanceof NotFoundError && /^(Cannot [A-Z]+ \/|Route [A-Z]+:\/)/.test(error.message);
