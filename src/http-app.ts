import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { HelmetOptions } from 'helmet';
import { Logger as NestLogger, INestApplication } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type {
  FastifyError,
  FastifyHttpOptions,
  FastifyReply,
  FastifyRequest,
  RawServerDefault,
} from 'fastify';
import type { HttpLogger } from 'pino-http';
import { BrainExceptionFilter, toErrorBody } from './common/brain-exception.filter';
import { InvalidRequestError } from './common/errors';
import { jsonBodyProblem } from './common/json-input';
import { BRAIN_VALIDATION, BrainValidationPipe } from './brain/dto/brain-validation.pipe';
import { setupOpenApi } from './brain/openapi';
import { brainConfig, BrainConfig, BrainConfigType } from './config/brain.config';
import { DASHBOARD_PATH } from './dashboard/serve-dashboard';
import { BrainLogger } from './infrastructure/logging/brain-logger';
import { HTTP_LOGGER } from './infrastructure/logging/logging.module';
import { generateRequestId } from './infrastructure/logging/request-id';

/** The Fastify adapter with Brain's limits; shared by main.ts and the e2e tests so both run the same server. */
export function createHttpAdapter(config: BrainConfig): FastifyAdapter {
  const options: FastifyHttpOptions<RawServerDefault> = {
    bodyLimit: config.http.maxPayloadBytes,
    genReqId: generateRequestId,
    // request.ip, which the failed-authentication limit counts by: the socket's address, or the client's as the
    // trusted proxies report it.
    trustProxy: trustProxyOption(config.http.trustProxy),
    // Close idle keep-alive sockets on shutdown; in-flight requests still finish.
    forceCloseConnections: 'idle',
    // Node counts these while the request is received, never while it is answered: a long poll (up to 30 s) or an
    // event stream is not cut by them. A dripping client is.
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(config.http.headersTimeoutMs, config.http.requestTimeoutMs),
      // Node checks both timeouts on this interval (default 30 s, which would let a dripping client stay that long).
      connectionsCheckingInterval: 1000,
    },
    // Past the longest request line Node accepts (16 KiB headers), so every over-long id reaches its route's pipe,
    // which answers 400 naming the parameter (Fastify's own answer would be a 414 in its own shape).
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // No HEAD twin of every GET: it would run the GET's handler and drop the body, so a HEAD lease would take
    // messages nobody receives (and a HEAD stream or poll would hold a waiter). HEAD is a 404 like PUT.
    exposeHeadRoutes: false,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const routing = error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const body = routing
        ? { statusCode: 400, error: 'Bad Request', message: `path is not valid: ${error.message}` }
        : toErrorBody(error, request.id, new NestLogger('Errors'));
      void reply.status(body.statusCode).send(body);
    },
  };
  return new FastifyAdapter(options);
}

const MAX_PARAM_LENGTH = 16_384;

/**
 * Fastify 5.12 reads a numeric trustProxy as "trust nothing"; BRAIN_TRUST_PROXY's hop count keeps its meaning as
 * a function: the nearest `hops` addresses are proxies. (The config stays plain data: it is cloned to the archive
 * thread.)
 */
function trustProxyOption(
  setting: boolean | number | string,
): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  return (_address, hop) => hop < setting;
}

/**
 * JSON is the only body Brain reads: Nest's form parser is never registered and Fastify's text one is removed, so
 * any other Content-Type with a body is a 415, a body that is not UTF-8 a 400. A POST with neither body nor
 * Content-Type has an empty body.
 * `constructor` keys are plain data here (context and metadata are opaque), while `__proto__` and nesting deeper
 * than MAX_JSON_DEPTH are refused for every route at once, before validation walks the body.
 */
function useJsonBodyOnly(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('ignore', 'ignore');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    // JSON is UTF-8 (RFC 8259): other bytes would be decoded to U+FFFD and stored changed, whatever charset is named.
    if (!isUtf8(body)) done(new InvalidRequestError('the body is not valid UTF-8'), undefined);
    else
      void parseJson(request, body as unknown as string, (error, json) => {
        const problem = error ? null : jsonBodyProblem(json);
        if (error || problem) done(error ?? new InvalidRequestError(problem!), undefined);
        else done(null, json);
      });
  });
  fastify.removeContentTypeParser('text/plain');
}

/**
 * Caps open connections, in all and per client address, so idle or slow sockets of one client cannot take every
 * slot (or every file descriptor). Surplus connections are closed as soon as they are accepted.
 */
export function limitConnections(app: NestFastifyApplication, config: BrainConfig): void {
  const server = app.getHttpServer();
  server.maxConnections = config.http.maxConnections;
  const perAddress = config.http.maxConnectionsPerAddress;
  if (perAddress === 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > perAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

/**
 * The headers helmet's middleware sets with these options, read once from a stand-in response (it only ever calls
 * setHeader and removeHeader, and reads nothing of the request).
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => undefined,
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error as Error;
  });
  return headers;
}

/**
 * One log line per request (pino-http: on the answer, on an aborted request or stream, on a socket error), for
 * every route, the 404s and the answers Fastify gives before a route runs included. Registered first, so the line
 * is written whichever later hook ends the request.
 */
function useRequestLog(app: NestFastifyApplication): void {
  const log = app.get<HttpLogger>(HTTP_LOGGER);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      log(request.raw, reply.raw);
      done();
    });
}

/** Everything the server needs besides its modules: validation, errors, headers, logging, request ids, shutdown. */
export function configureHttpApp(app: NestFastifyApplication): void {
  app.useLogger(app.get(BrainLogger));
  useRequestLog(app);
  useJsonBodyOnly(app, app.getHttpAdapter().getInstance().initialConfig.bodyLimit!);
  app.useGlobalPipes(new BrainValidationPipe(BRAIN_VALIDATION));
  app.useGlobalFilters(new BrainExceptionFilter());
  setupOpenApi(app);
  const fastify = app.getHttpAdapter().getInstance();
  // Security headers: helmet's directives are constant, so its headers are computed once here and only assigned per
  // request (running its middleware chain set them one by one on the raw response: ~3 % of a publish's CPU).
  const securityHeaders = helmetHeaders({
    // Swagger UI at /docs needs inline scripts and styles; everything else is JSON.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
      },
    },
  });
  // The dashboard is Brain's own built scripts and styles: no inline code, no other origin.
  const dashboardSecurityHeaders = helmetHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        // Brain is often reached over plain HTTP inside a cluster: upgrading would break the page's own scripts.
        upgradeInsecureRequests: null,
      },
    },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(request.url.startsWith(DASHBOARD_PATH) ? dashboardSecurityHeaders : securityHeaders);
    done();
  });
  // While closing, answers tell keep-alive clients to go, so no idle socket holds the process past its answers.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  // Errors Fastify raises before a route runs (body too large, bad JSON) reach Nest's own Fastify error handler,
  // which hands them to BrainExceptionFilter: no second handler here (Fastify warns FSTWRN004 when one is replaced).
  limitConnections(app, app.get<BrainConfigType>(brainConfig.KEY));
  // process.exit rather than Nest's default re-raised signal: the 'exit' event lets pino write the lines still
  // buffered (the last requests' log lines, streams ended by the shutdown) before the process is gone.
  app.enableShutdownHooks(undefined, { useProcessExit: true });
}

export type BrainHttpApp = INestApplication & NestFastifyApplication;
