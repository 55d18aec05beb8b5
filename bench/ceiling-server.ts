/**
 * The ceiling for POST /v1/messages on this machine (issue 13, goal 1): bare Fastify (the version Brain ships with)
 * and one auto-pipelined ioredis XADD per request, storing the fields Brain's publish stores. No auth, validation,
 * rate limit, logging, metrics or archive: whatever Brain does beyond this is what its ratio to this server costs.
 * Run by the bench as its own process: PORT, REDIS_URL and CEILING_STREAM from the environment.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

interface Publish {
  id?: string;
  sourceAgent?: string;
  targetAgent: string;
  type?: string;
  context: unknown;
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const stream = process.env.CEILING_STREAM ?? 'bench-ceiling:stream';
const app = Fastify({ logger: false });

app.post<{ Body: Publish }>('/v1/messages', async (request, reply) => {
  const { id = randomUUID(), sourceAgent = '', targetAgent, type = '', context } = request.body;
  const timestamp = Date.now();
  // Trimmed like Brain's streams (BRAIN_STREAM_MAXLEN, default 10,000), so the run does not grow Redis.
  const fields = [
    'm',
    id,
    'f',
    sourceAgent,
    'ty',
    type,
    'p',
    JSON.stringify(context),
    'ts',
    timestamp,
    'to',
    targetAgent,
  ];
  await redis.xadd(stream, 'MAXLEN', '~', 10_000, '*', ...fields);
  return reply.code(201).send({ id, fromAgent: sourceAgent, toAgent: targetAgent, timestamp });
});

app.listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' }).then(
  (address) => console.log(`ceiling server listening on ${address}`),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
