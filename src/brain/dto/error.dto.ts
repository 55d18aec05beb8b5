import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../../common/error-response';

const DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input: the message names the field (unknown fields, bad ids, out-of-range numbers, …)',
  401: 'no bearer token, or one that is not valid (any more)',
  403: 'the caller may not act for this agent (or as this sourceAgent), or the route is admin only',
  404: 'the agent or message does not exist (or, for messages, is not visible to the caller)',
  409: 'conflict: an agent with this id exists, or a message id was used for another sender or recipient',
  413: 'the body is larger than BRAIN_MAX_PAYLOAD_BYTES',
  415: 'the body is not JSON: send Content-Type: application/json',
  429:
    'the agent exceeded BRAIN_RATE_LIMIT_PER_MINUTE, too many long polls wait at once (BRAIN_MAX_WAITERS), or too ' +
    'many failed authentications came from this address; see the Retry-After header (seconds)',
  503: 'Redis (or, for registry and memory routes, Postgres) is unavailable; nothing was half-written',
};

const EXAMPLES: Record<number, string> = {
  400: "targetAgent must match ^[a-z0-9][a-z0-9_-]{0,63}$ and not be 'broadcast'",
  401: 'a valid bearer token is required (Authorization: Bearer <token>)',
  403: "agent 'nova' may not act as agent 'dexter'",
  404: "agent 'zed' is not registered",
  409: "agent 'nova' already exists",
  413: 'request body is larger than BRAIN_MAX_PAYLOAD_BYTES',
  415: "Content-Type 'text/plain' is not supported: send application/json",
  429: "agent 'nova' exceeded its limit of 6000 requests per minute; retry after 12 s",
  503: 'redis is unavailable, try again',
};

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

const RETRY_AFTER = {
  'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' as const } },
};

/** Documents error answers of a route, in the contract's shape, with an example each. 401, 429, 503 always apply. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...[...new Set([...statuses, 401, 429, 503])].map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status],
        type: ErrorResponse,
        example: errorExample(status),
        ...(status === 429 ? { headers: RETRY_AFTER } : {}),
      }),
    ),
  );

const errorExample = (status: number) => ({
  statusCode: status,
  error: REASONS[status],
  message: EXAMPLES[status],
});

/** The same answer as a plain response object, for routes documented outside a controller's decorators. */
export const errorResponse = (status: number) => ({
  description: DESCRIPTIONS[status],
  content: {
    'application/json': {
      schema: { $ref: `#/components/schemas/${ErrorResponse.name}` },
      example: errorExample(status),
    },
  },
  ...(status === 429 ? { headers: RETRY_AFTER } : {}),
});
