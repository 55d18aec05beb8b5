import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's genReqId: reuse a caller's X-Request-Id when it is sane (so one id follows a request across services),
 * otherwise make one. The id is also left on the raw request for the pino middleware.
 */
export function generateRequestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const offered = Array.isArray(header) ? header[0] : header;
  const id = offered && ACCEPTABLE_ID.test(offered) ? offered : randomUUID();
  (req as IncomingMessage & { brainRequestId?: string }).brainRequestId = id;
  return id;
}
