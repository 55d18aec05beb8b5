import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { z } from 'zod';
import { InvalidRequestError } from '../common/errors';

/**
 * The SDK checks a tool's arguments against its input schema before the tool runs and refuses bad ones itself, as
 * `MCP error -32602: Input validation error: Invalid arguments for tool <name>: <issue> at <path>`, with zod's own
 * words for an unknown field. The contract wants the REST route's message, so on Brain's servers the tools check
 * their arguments themselves (`checkInput`, with the same schemas, which the SDK still advertises in tools/list).
 * The SDK offers no option for this; its check is a method of the server instance, replaced here. The e2e tests
 * assert the exact messages, so an SDK upgrade that renames the method fails them instead of passing silently.
 */
export function leaveInputChecksToTools(server: McpServer): void {
  const sdk = server as unknown as { validateToolInput?: unknown };
  if (typeof sdk.validateToolInput !== 'function')
    throw new Error('@modelcontextprotocol/sdk no longer has McpServer.validateToolInput: see mcp-input.ts');
  sdk.validateToolInput = (_tool: unknown, args: unknown) => Promise.resolve(args ?? {});
}

/** The arguments as the schema reads them; or the 400 the REST route answers for the same input. */
export async function checkInput<S extends z.ZodType>(schema: S, args: unknown): Promise<z.output<S>> {
  const result = await schema.safeParseAsync(args ?? {});
  if (result.success) return result.data;
  throw new InvalidRequestError(restMessage(result.error));
}

/** REST's wording: one message per broken rule, joined with "; "; an unknown field is named as class-validator does. */
function restMessage(error: z.ZodError): string {
  const messages = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `property ${key} should not exist`)
      : [issue.message],
  );
  return [...new Set(messages)].join('; ');
}
