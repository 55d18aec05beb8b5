import { DEFAULT_PENDING_COUNT } from '../common/limits';
import { Logger } from '@nestjs/common';
import type { McpServer, ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { Principal } from '../agents/auth/principal';
import { AccessPolicy } from '../brain/access.policy';
import { BrainAI } from '../brain/brain-ai.service';
import { toAgentListResponse } from '../brain/dto/agent.dto';
import {
  toMemoryQuery,
  toMemoryRecordPageResponse,
  toMemoryRecordResponse,
  toPageQuery,
} from '../brain/dto/memory.dto';
import {
  toAcknowledgementResponse,
  toContextMessageListResponse,
  toContextMessageResponse,
} from '../brain/dto/message.dto';
import { toErrorBody } from '../common/brain-exception.filter';
import { InvalidRequestError } from '../common/errors';
import {
  acknowledgeInput,
  broadcastInput,
  checkInboxInput,
  conversationInput,
  listAgentsInput,
  recallInput,
  rememberInput,
  routeMessageInput,
  sendMessageInput,
} from './mcp-schemas';
import { checkInput, leaveInputChecksToTools } from './mcp-input';

/** The lease consumer of MCP sessions: an agent's MCP sessions share its leases like replicas of one worker. */
export const MCP_CONSUMER = 'mcp';

const logger = new Logger('Mcp');

/**
 * Registers Brain's tools on one session's server. Every tool acts as `agentId` (the agent whose token opened the
 * session), goes through the BrainAI facade and the REST routes' AccessPolicy, and answers with the REST route's
 * JSON; a failure is a tool error carrying the REST route's message.
 */
export function registerBrainTools(
  server: McpServer,
  agentId: string,
  brain: BrainAI,
  access: AccessPolicy,
): void {
  const caller: Principal = { kind: 'agent', agentId };
  leaveInputChecksToTools(server);
  /** Registers a tool whose `run` gets checked arguments and whose failures are the REST route's errors. */
  const tool = <S extends z.ZodObject>(
    name: string,
    config: { title: string; description: string; inputSchema: S; annotations?: ToolAnnotations },
    run: (args: z.output<S>) => Promise<object>,
  ) =>
    server.registerTool(name, config, ((args: unknown, extra: CallInfo) =>
      answer(extra, async () => run(await checkInput(config.inputSchema, args)))) as ToolCallback<S>);

  tool(
    'send_message',
    {
      title: 'Send a message to one agent',
      description:
        'Sends a JSON message to one agent you know by id (see list_agents); it waits in that agent’s inbox until ' +
        'it acknowledges it. Use it to ask a specific agent something or hand it work. Returns the stored message ' +
        '(id, fromAgent, toAgent, timestamp, payload, priority, type). To reach every agent use broadcast instead.',
      inputSchema: sendMessageInput,
    },
    async (args) => {
      const sourceAgent = access.senderOf(caller, undefined);
      const result = await brain.publishMessage({
        ...args,
        id: args.id?.toLowerCase(),
        inReplyTo: args.inReplyTo?.toLowerCase(),
        sourceAgent,
      });
      return toContextMessageResponse(result.message);
    },
  );

  tool(
    'broadcast',
    {
      title: 'Send a message to every agent',
      description:
        'Sends a JSON message to every agent registered now, except you. Use it for news that concerns the whole ' +
        'team; use send_message for one agent. Returns the stored message (toAgent is "broadcast").',
      inputSchema: broadcastInput,
    },
    async (args) => {
      const sourceAgent = access.senderOf(caller, undefined);
      const result = await brain.publishBroadcast({
        ...args,
        id: args.id?.toLowerCase(),
        inReplyTo: args.inReplyTo?.toLowerCase(),
        sourceAgent,
      });
      return toContextMessageResponse(result.message);
    },
  );

  tool(
    'route_message',
    {
      title: 'Send a message to whichever agent offers a capability',
      description:
        'Sends a JSON message to one agent that offers the given capability, chosen by Brain (the least busy one, ' +
        'never you). Use it when any capable agent will do and you do not care which. Returns the stored message, ' +
        'naming the chosen agent in toAgent and routedBy "capability:<name>"; an error when no other agent offers ' +
        'the capability (list_agents with capability shows who does).',
      inputSchema: routeMessageInput,
    },
    async (args) => {
      const sourceAgent = access.senderOf(caller, undefined);
      const { capability, ...message } = args;
      const result = await brain.publishRouted({
        ...message,
        id: message.id?.toLowerCase(),
        inReplyTo: message.inReplyTo?.toLowerCase(),
        sourceAgent,
        routing: { capability },
      });
      return toContextMessageResponse(result.message);
    },
  );

  tool(
    'check_inbox',
    {
      title: 'Take the messages waiting for you',
      description:
        'Returns the messages waiting for you, most urgent first (critical, high, medium, low; oldest first within ' +
        'a priority), as { items: [...] }. Each message is then held for you for a while (a lease); call ' +
        'acknowledge with its id once you have handled it, or it is handed out again later. Set wait (ms) to wait ' +
        'for a message when none is waiting.',
      inputSchema: checkInboxInput,
    },
    async (args) => {
      await access.actAs(caller, agentId);
      const messages = await brain.getPending(agentId, {
        count: args.count ?? DEFAULT_PENDING_COUNT,
        waitMs: args.wait ?? 0,
        consumer: MCP_CONSUMER,
        priority: args.priority,
      });
      return toContextMessageListResponse(messages);
    },
  );

  tool(
    'acknowledge',
    {
      title: 'Mark messages as handled',
      description:
        'Marks messages from your inbox as handled, so they are never handed to you again. Give messageId for one ' +
        'message (returns { id, agentId, acknowledged, acknowledgedAt }) or ids for several (returns ' +
        '{ acknowledged: <how many> }). Acknowledging twice is harmless.',
      inputSchema: acknowledgeInput,
      annotations: { idempotentHint: true },
    },
    async (args) => {
      if ((args.messageId === undefined) === (args.ids === undefined)) {
        throw new InvalidRequestError('give either messageId or ids');
      }
      if (args.messageId !== undefined) {
        const recipient = access.recipientOf(caller, undefined);
        return toAcknowledgementResponse(
          await brain.acknowledgeMessage(args.messageId.toLowerCase(), recipient),
        );
      }
      await access.actAs(caller, agentId);
      const ids = (args.ids ?? []).map((id) => id.toLowerCase());
      return { acknowledged: await brain.acknowledgeMany(agentId, ids) };
    },
  );

  tool(
    'remember',
    {
      title: 'Store a memory',
      description:
        'Stores a JSON record in your long-term memory, optionally with a type, tags and a time to live. Shared ' +
        'records (the default) can be recalled by every agent; private ones only by you. Returns the stored record ' +
        'with its id.',
      inputSchema: rememberInput,
    },
    async (args) => {
      await access.actAs(caller, agentId);
      return toMemoryRecordResponse(await brain.storeContext(agentId, args));
    },
  );

  tool(
    'recall',
    {
      title: 'Search memories',
      description:
        'Searches the memories of an agent (yours by default), newest first, by type, tags, full text and time. ' +
        'Returns { items: [...], nextCursor }: pass nextCursor as cursor to get older records. Other agents’ ' +
        'private memories are never returned.',
      inputSchema: recallInput,
      annotations: { readOnlyHint: true },
    },
    async (args) => {
      const { agentId: owner, ...query } = args;
      const page = await brain.queryContext(owner ?? agentId, { agentId }, toMemoryQuery(query));
      return toMemoryRecordPageResponse(page);
    },
  );

  tool(
    'conversation',
    {
      title: 'Read your conversation with another agent',
      description:
        'Returns the messages between you and another agent, both directions, newest first, as ' +
        '{ items: [...], nextCursor }; pass nextCursor as cursor for older ones. Use it to recall what was said ' +
        'before answering.',
      inputSchema: conversationInput,
      annotations: { readOnlyHint: true },
    },
    async (args) => {
      access.readAs(caller, agentId, args.withAgent);
      return toMemoryRecordPageResponse(
        await brain.getConversation(agentId, args.withAgent, toPageQuery(args)),
      );
    },
  );

  tool(
    'list_agents',
    {
      title: 'List the agents',
      description:
        'Lists the registered agents with their id, name, description and capabilities, as { items: [...] }. Use ' +
        'it to find whom to send a message to; give capability to list only the agents offering it.',
      inputSchema: listAgentsInput,
      annotations: { readOnlyHint: true },
    },
    async (args) => {
      return toAgentListResponse(await brain.listAgents(args.capability));
    },
  );
}

/** The tool's JSON as text (every client shows it) and as structured content; a failure as the REST error. */
async function answer(call: CallInfo, run: () => Promise<object>): Promise<CallToolResult> {
  try {
    const value = await run();
    return {
      content: [{ type: 'text', text: JSON.stringify(value) }],
      structuredContent: value as Record<string, unknown>,
    };
  } catch (error) {
    // The same mapping as the REST routes': domain errors keep their message, outages are 503, the rest a logged 500.
    return toolError(toErrorBody(error, `mcp:${call.sessionId}:${String(call.requestId)}`, logger));
  }
}

function toolError(body: { message: string }): CallToolResult {
  return { content: [{ type: 'text', text: body.message }], structuredContent: { ...body }, isError: true };
}

interface CallInfo {
  sessionId?: string;
  requestId: string | number;
}
