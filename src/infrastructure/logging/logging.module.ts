import { IncomingMessage } from 'node:http';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { brainConfig, BrainConfigType } from '../../config/brain.config';

/**
 * pino for every log line: JSON in production, readable in development; each request's lines carry its id.
 * The id is the one Fastify assigned (see request-id.ts), so logs and the X-Request-Id response header agree.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [brainConfig.KEY],
      useFactory: (config: BrainConfigType) => ({
        pinoHttp: {
          level: config.logLevel,
          genReqId: (req: IncomingMessage) =>
            (req as IncomingMessage & { brainRequestId?: string }).brainRequestId ?? '',
          transport:
            config.env === 'development'
              ? { target: 'pino-pretty', options: { singleLine: true } }
              : undefined,
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          customLogLevel: (_req, res, error) =>
            error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          // Probes hit these every few seconds; logging each one drowns what matters.
          autoLogging: {
            ignore: (req) => {
              // Inside Nest's Fastify middleware req.url is the mount path; originalUrl is the request's.
              const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
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
        },
      }),
    }),
  ],
})
export class LoggingModule {}
