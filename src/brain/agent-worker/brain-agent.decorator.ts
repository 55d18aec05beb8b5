import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { BrainConfigType } from '../../config/brain.config';
import type { ContextMessage } from '../../context-sync/context-message';
import type { Priority } from '../../common/ids';

export interface BrainAgentOptions {
  /** The agent's id; registered at start if it does not exist yet. */
  id: string;
  name?: string;
  description?: string;
  capabilities?: string[];
  /** Lease-mode consumer name; default: one per process (host and pid), so replicas share the work. */
  consumer?: string;
  /** Handle only messages of this priority. */
  priority?: Priority;
  /** Messages fetched per round, 1..1000 (default 10). */
  count?: number;
  /** Long-poll time per round, 0..30000 ms (default 2000); shutdown waits at most this long for a round. */
  waitMs?: number;
  /** Whether this deployment runs the agent (default: always); read once at start. */
  enabled?: (config: BrainConfigType) => boolean;
}

/** What a class marked with @BrainAgent implements. */
export interface BrainAgentHandler {
  /**
   * Handles one message. Resolving acknowledges it; throwing leaves it unacknowledged, so it is handed out again
   * after BRAIN_VISIBILITY_TIMEOUT_MS and, after BRAIN_MAX_DELIVERIES, lands in the agent's dead letters.
   * Delivery is at-least-once: make handling idempotent (e.g. reply with an id derived from `message.id`).
   */
  handle(message: ContextMessage): Promise<void>;
}

/** Discovery marker; use @BrainAgent. */
export const BrainAgentMarker = DiscoveryService.createDecorator<BrainAgentOptions>();

/**
 * Makes a provider an in-process agent: Brain registers it at start (if missing) and runs a lease-mode loop that
 * hands it each pending message. Put the class in a module's `providers`; the module imports BrainModule if the
 * handler needs BrainAI (to reply, store memories, …).
 */
export const BrainAgent = (options: BrainAgentOptions): ClassDecorator =>
  applyDecorators(Injectable(), BrainAgentMarker(options));
