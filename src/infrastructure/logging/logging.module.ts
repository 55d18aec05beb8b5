import { IncomingMessage, ServerResponse } from 'node:http';
import { Global, Module } from '@nestjs/common';
import type { LevelWithSilent } from 'pino';
import { HttpLogger, pinoHttp } from 'pino-http';
import { brainConfig, BrainConfigType } from '../../config/brain.config';
import { BrainLogger } from './brain-logger';

/** pino-http's per-request logger: one line per answer (or aborted request), its root logger for everything else. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/**
 * pino for every log line: JSON in production, readable in development; each request's line carries its id.
 * The id is the one Fastify assigned (see request-id.ts), so logs and the X-Request-Id response header agree.
 * The request line is written by pino-http from a Fastify hook (http-app.ts useRequestLog), not from a Nest
 * middleware wrapping each request in an AsyncLocalStorage: that store turned on Node's promise hooks for every
 * promise of the process (~10 % of a publish's CPU with its middleware layer), and no line used it.
 */
@Global()
@Module({
  providers: [
    {
      provide: HTTP_LOGGER,
      inject: [brainConfig.KEY],
      useFactory: (config: BrainConfigType): HttpLogger =>
        pinoHttp<IncomingMessage, ServerResponse, never>({
          level: config.logLevel,
          genReqId: (req: IncomingMessage) =>
            (req as IncomingMessage & { brainRequestId?: string }).brainRequestId ?? '',
          transport:
            config.env === 'development'
              ? { target: 'pino-pretty', options: { singleLine: true } }
              : undefined,
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          customLogLevel: (_req, res, error): LevelWithSilent =>
            error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          // Probes hit these every few seconds; logging each one drowns what matters.
          autoLogging: {
            ignore: (req) => {
              const url = req.url ?? '';
              return url.startsWith('/health') || url.startsWith('/metrics');
            },
          },
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({
              id: req.id,
              method: req.method,
              url: req.url,
            }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
        }),
    },
    {
      provide: BrainLogger,
      inject: [HTTP_LOGGER],
      useFactory: (http: HttpLogger) => new BrainLogger(http.logger),
    },
  ],
  exports: [HTTP_LOGGER, BrainLogger],
})
export class LoggingModule {}
