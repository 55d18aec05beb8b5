import { isISO8601 } from 'class-validator';
import { z } from 'zod';
import {
  AGENT_ID_PATTERN,
  AGENT_ID_RULE,
  CURSOR_PATTERN,
  isAgentId,
  MESSAGE_ID_PATTERN,
  PRIORITIES,
} from '../common/ids';
import { isSafeText, SAFE_TEXT_RULE } from '../common/json-input';
import {
  MAX_CAPABILITY_LENGTH,
  MAX_COUNT,
  MAX_PAGE_LIMIT,
  MAX_QUERY_TEXT_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  MAX_TTL_SECONDS,
  MAX_TYPE_LENGTH,
  MAX_WAIT_MS,
} from '../common/limits';
import { VISIBILITIES } from '../memory/memory-record';

/**
 * The tools' input schemas: the REST DTOs' rules (same constants, same messages), in the zod form the MCP SDK
 * advertises to the model as JSON Schema and checks before a tool runs. Objects are strict, as REST refuses unknown
 * fields.
 */

const agentId = (field: string, description: string) => {
  const error = `${field} ${AGENT_ID_RULE}`;
  return z
    .string({ error })
    .regex(AGENT_ID_PATTERN, { error })
    .refine(isAgentId, { error })
    .describe(description);
};

// REST lowercases ids before checking them; the tools accept any case and lowercase in the handler.
const UUID_ANY_CASE = new RegExp(MESSAGE_ID_PATTERN.source, 'i');
const uuid = (field: string) =>
  z.string({ error: `${field} must be a UUID` }).regex(UUID_ANY_CASE, { error: `${field} must be a UUID` });

const integer = (field: string, min: number, max: number) => {
  const error = `${field} must be an integer between ${min} and ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

/** Text that is stored or searched must be safe text, as REST's DTOs require (types, tags, capabilities, q). */
const safeText = (field: string) => ({ error: `${field} ${SAFE_TEXT_RULE}` });

const boundedString = (field: string, max: number) => {
  const error = `${field} must be a string of at most ${max} characters`;
  return z.string({ error }).max(max, { error }).refine(isSafeText, safeText(field));
};

const jsonObject = (field: string, description: string) =>
  z.record(z.string(), z.unknown(), { error: `${field} must be a JSON object` }).describe(description);

const priority = (field: string) =>
  z.enum(PRIORITIES, { error: `${field} must be one of ${PRIORITIES.join(', ')}` });

const tagList = (field: string) => {
  const error = `${field} must be a list of at most ${MAX_TAGS} strings of 1..${MAX_TAG_LENGTH} characters without commas`;
  const tag = z
    .string({ error })
    .regex(new RegExp(`^[^,]{1,${MAX_TAG_LENGTH}}$`, 's'), { error })
    .refine(isSafeText, safeText(field));
  return z.array(tag, { error }).max(MAX_TAGS, { error });
};

const isoDateTime = (field: string) =>
  z
    .string({ error: `${field} must be an ISO-8601 date-time` })
    .refine((value) => isISO8601(value, { strict: true }), {
      error: `${field} must be an ISO-8601 date-time`,
    });

const cursor = z
  .string({ error: 'cursor is not valid (use the nextCursor of the previous page)' })
  .regex(CURSOR_PATTERN, { error: 'cursor is not valid (use the nextCursor of the previous page)' })
  .describe('the nextCursor of the previous page, to continue a listing');

const limit = (defaultLimit: number) =>
  integer('limit', 1, MAX_PAGE_LIMIT).describe(`items per page (default ${defaultLimit})`);

const publishFields = {
  context: jsonObject(
    'context',
    'the content to send: any JSON object, delivered to the recipient unchanged',
  ),
  priority: priority('priority')
    .describe('delivery order for the recipient: critical first, low last (default medium)')
    .optional(),
  type: boundedString('type', MAX_TYPE_LENGTH)
    .nullable()
    .describe('a free-text label the recipient can act on, e.g. "sales_data" or "question"')
    .optional(),
  id: uuid('id')
    .describe('your own id for the message (UUID); sending the same id again does not send it twice')
    .optional(),
  inReplyTo: uuid('inReplyTo').describe('the id of the message this one answers').optional(),
};

export const sendMessageInput = z.strictObject({
  targetAgent: agentId('targetAgent', 'the id of the agent to send to (see list_agents)'),
  ...publishFields,
});

export const broadcastInput = z.strictObject(publishFields);

export const routeMessageInput = z.strictObject({
  capability: boundedString('capability', MAX_CAPABILITY_LENGTH).describe(
    'the capability the recipient must offer, e.g. "forecasting" (see list_agents)',
  ),
  ...publishFields,
});

export const checkInboxInput = z.strictObject({
  count: integer('count', 1, MAX_COUNT).describe('most messages to take (default 10)').optional(),
  priority: priority('priority').describe('only messages of this priority').optional(),
  wait: integer('wait', 0, MAX_WAIT_MS)
    .describe('with nothing pending, wait up to this many ms for a message to arrive (default 0)')
    .optional(),
});

export const acknowledgeInput = z.strictObject({
  messageId: uuid('messageId').describe('the id of one message you handled').optional(),
  ids: z
    .array(uuid('each of ids'), { error: `ids must be an array of 1..${MAX_COUNT} UUIDs` })
    .min(1, { error: `ids must be an array of 1..${MAX_COUNT} UUIDs` })
    .max(MAX_COUNT, { error: `ids must be an array of 1..${MAX_COUNT} UUIDs` })
    .describe('the ids of several messages you handled')
    .optional(),
});

export const rememberInput = z.strictObject({
  context: jsonObject('context', 'what to remember: any JSON object'),
  type: boundedString('type', MAX_TYPE_LENGTH)
    .nullable()
    .describe('a label to find it again by, e.g. "sales_data"')
    .optional(),
  tags: tagList('tags')
    .describe('labels to find it again by (recall matches records having all given tags)')
    .optional(),
  visibility: z
    .enum(VISIBILITIES, { error: `visibility must be one of ${VISIBILITIES.join(', ')}` })
    .describe('shared (default): every agent may recall it; private: only you')
    .optional(),
  ttlSeconds: integer('ttlSeconds', 1, MAX_TTL_SECONDS)
    .describe('forget it after this many seconds')
    .optional(),
});

export const recallInput = z.strictObject({
  agentId: agentId(
    'agentId',
    "whose memories to search (default: your own); other agents' private ones stay hidden",
  ).optional(),
  type: boundedString('type', MAX_TYPE_LENGTH).describe('only records with this type').optional(),
  tags: tagList('tags').describe('only records having every one of these tags').optional(),
  q: boundedString('q', MAX_QUERY_TEXT_LENGTH)
    .describe('full-text search: words, "a phrase", -excluded, or')
    .optional(),
  since: isoDateTime('since').describe('only records created at or after this ISO-8601 time').optional(),
  until: isoDateTime('until').describe('only records created before this ISO-8601 time').optional(),
  limit: limit(50).optional(),
  cursor: cursor.optional(),
});

export const conversationInput = z.strictObject({
  withAgent: agentId('withAgent', 'the other agent of the conversation'),
  limit: limit(50).optional(),
  cursor: cursor.optional(),
});

export const listAgentsInput = z.strictObject({
  capability: boundedString('capability', MAX_CAPABILITY_LENGTH)
    .describe('only agents offering this capability')
    .optional(),
});
