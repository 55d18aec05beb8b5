import { BROADCAST } from './context-message';

/**
 * A mailbox as one recipient sees it: an agent's own (direct) streams, or the shared broadcast streams as one member
 * sees them. The repositories turn it into keys; nothing else does.
 */
export interface Mailbox {
  kind: 'direct' | 'broadcast';
  agentId: string;
}

/** Where a message's entries come from: an agent's direct streams, or the broadcast streams (BROADCAST). */
export type StreamOwner = string;

export function directMailbox(agentId: string): Mailbox {
  return { kind: 'direct', agentId };
}

export function broadcastMailbox(agentId: string): Mailbox {
  return { kind: 'broadcast', agentId };
}

/** The mailbox in which `agentId` receives a message sent to `target` (an agent id or BROADCAST). */
export function mailboxOf(target: string, agentId: string): Mailbox {
  return target === BROADCAST ? broadcastMailbox(agentId) : directMailbox(target);
}
