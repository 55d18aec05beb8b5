// STUB: the real implementation is being written; signatures are final.
import { Injectable } from '@nestjs/common';
import {
  Acknowledgement,
  BroadcastRequest,
  ContextMessage,
  ContextSyncStats,
  DeadLetter,
  MessageStatus,
  PendingQuery,
  PublishResult,
  ShareRequest,
} from './context-message';

const todo = (): never => {
  throw new Error('not implemented yet');
};

@Injectable()
export class ContextSyncService {
  /** Creates the agent's Redis presence: meta (token hash), streams, consumer groups, broadcast membership. Idempotent. */
  async registerAgent(_agentId: string, _tokenHash: string): Promise<void> {
    return todo();
  }
  /** Removes the agent's live streams and state (after they are archived); its Postgres history stays. */
  async unregisterAgent(_agentId: string): Promise<void> {
    return todo();
  }
  async isRegistered(_agentId: string): Promise<boolean> {
    return todo();
  }
  /** Token hash mirrored in Redis, so auth needs no Postgres. null if the agent is unknown. */
  async getTokenHash(_agentId: string): Promise<string | null> {
    return todo();
  }
  async setTokenHash(_agentId: string, _tokenHash: string): Promise<void> {
    return todo();
  }
  async listAgentIds(): Promise<string[]> {
    return todo();
  }

  /** Throws AgentNotFoundError (unknown target/source), ConflictError-like InvalidRequestError on an id reused differently. */
  async share(_request: ShareRequest): Promise<PublishResult> {
    return todo();
  }
  async broadcast(_request: BroadcastRequest): Promise<PublishResult> {
    return todo();
  }
  async getPendingMessages(_agentId: string, _query: PendingQuery): Promise<ContextMessage[]> {
    return todo();
  }
  /** Throws MessageNotFoundError / NotRecipientError (both 404). Idempotent. */
  async acknowledge(_messageId: string, _agentId: string): Promise<Acknowledgement> {
    return todo();
  }
  /** Returns how many of `ids` are acknowledged by the agent after the call (unknown ids are skipped). */
  async acknowledgeMany(_agentId: string, _ids: string[]): Promise<number> {
    return todo();
  }
  /** The message, its sender and recipients, and its status. Throws MessageNotFoundError. */
  async getMessage(
    _messageId: string,
  ): Promise<{ message: ContextMessage; status: MessageStatus; recipients: string[] }> {
    return todo();
  }
  async isAcknowledged(_messageId: string): Promise<boolean> {
    return todo();
  }
  async listDeadLetters(_agentId: string, _limit: number): Promise<DeadLetter[]> {
    return todo();
  }
  /** Throws DeadLetterNotFoundError. */
  async requeueDeadLetter(_agentId: string, _messageId: string): Promise<ContextMessage> {
    return todo();
  }
  async getStats(): Promise<ContextSyncStats> {
    return todo();
  }
  /** Trims stream entries older than the retention (never unarchived ones). Returns entries removed. */
  async cleanupOldMessages(): Promise<number> {
    return todo();
  }
  /** Removes every Redis key of Brain (this prefix) and nothing else. */
  async clear(): Promise<void> {
    return todo();
  }
}
