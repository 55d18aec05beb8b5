/**
 * What Memory needs to know about agents: when each one registered (the start of its current incarnation, which
 * bounds what the agent sees). Memory defines the port and the agents module provides it, so Memory never imports
 * the agent registry (agents → context-sync → memory would otherwise be a cycle).
 */
export interface AgentRegistrations {
  /** When the agent registered, or null if it is not registered. */
  registeredAt(agentId: string): Promise<Date | null>;
  /**
   * The same date as a scalar SQL expression (timestamptz, NULL if not registered) for the agent id bound to the
   * parameter `agentIdParam` ("$1"), at the millisecond precision `registeredAt` answers with: a read can then bound
   * its rows by the registration in its own statement, one round trip to Postgres instead of two.
   */
  registeredAtSql(agentIdParam: string): string;
}

export const AGENT_REGISTRATIONS = Symbol('AgentRegistrations');
