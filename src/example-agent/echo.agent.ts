import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AgentNotFoundError } from '../common/errors';
import { BROADCAST, ContextMessage } from '../context-sync/context-message';
import { BrainAgent, BrainAgentHandler } from '../brain/agent-worker/brain-agent.decorator';
import { BrainAI } from '../brain/brain-ai.service';

export const ECHO_AGENT_ID = 'echo';
export const ECHO_TYPE = 'echo';

/**
 * The example in-process agent: answers every direct message with `{ echo: <payload>, inReplyTo: <id> }`, sent back
 * to the sender. Broadcasts and echoes (from another echo agent) are acknowledged without a reply, so two echo
 * agents never talk forever. Enabled by BRAIN_EXAMPLE_AGENT=on.
 */
@BrainAgent({
  id: ECHO_AGENT_ID,
  name: 'Echo',
  description: 'Example agent: replies to each direct message with its payload',
  capabilities: ['echo'],
  enabled: (config) => config.exampleAgent.enabled,
})
export class EchoAgent implements BrainAgentHandler {
  private readonly logger = new Logger('EchoAgent');

  constructor(private readonly brain: BrainAI) {}

  async handle(message: ContextMessage): Promise<void> {
    if (message.toAgent === BROADCAST || message.type === ECHO_TYPE) return;
    try {
      await this.brain.shareContext({
        sourceAgent: ECHO_AGENT_ID,
        targetAgent: message.fromAgent,
        context: { echo: message.payload, inReplyTo: message.id },
        priority: message.priority,
        type: ECHO_TYPE,
        inReplyTo: message.id,
        // A redelivered message (we crashed before the ack) gets the same reply id: the replay creates nothing new.
        id: replyIdFor(message.id),
      });
    } catch (error) {
      // The sender is gone: there is nobody to answer, and retrying would only fill the dead letters.
      if (!(error instanceof AgentNotFoundError)) throw error;
      this.logger.debug(`not answering ${message.id}: '${message.fromAgent}' is not registered any more`);
    }
  }
}

/** A UUID (version 5 layout) derived from the message id, so the reply to a message always has the same id. */
export function replyIdFor(messageId: string): string {
  const hex = createHash('sha256').update(`echo-reply:${messageId}`).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
