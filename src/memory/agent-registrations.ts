/**
 * What Memory needs to know about agents: when each one registered (the start of its current incarnation, which
 * bounds what the agent sees). Memory defines the port and the agents module provides it, so Memory never imports
 * the agent registry (agents → context-sync → memory would otherwise be a cycle).
 */
export interface AgentRegistrations {
  /** When the agent registered, or null if it is not registered. */
  registeredAt(agentId: string): Promise<Date | null>;
}

export const AGENT_REGISTRATIONS = Symbol('AgentRegistrations');
