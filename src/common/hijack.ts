import type { FastifyReply } from 'fastify';

/**
 * reply.hijack(), keeping the headers given to the reply so far (helmet's security headers, the rate limit's):
 * Fastify writes its reply's headers only when it answers, and after a hijack the route writes the raw response.
 */
export function hijackKeepingHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value);
  }
  reply.hijack();
}
