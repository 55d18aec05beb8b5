import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrainError, TooManyRequestsError } from './errors';
import { unavailableDependency } from './dependency-errors';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId?: string;
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const JSON_ONLY = 'Content-Type must be application/json';

export const reasonPhrase = (status: number): string => REASON[status] ?? 'Error';

/**
 * The one place where errors become HTTP answers, in the contract's shape `{ statusCode, error, message }`.
 * Domain errors carry their status; Redis/Postgres outages become 503; anything else is a 500 whose details
 * go to the log (with the request id), never to the client.
 */
@Catch()
export class BrainExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // Terminus' 503 carries the health check result; /health/ready answers in that shape (contract).
    if (exception instanceof ServiceUnavailableException && isHealthCheckResult(exception.getResponse())) {
      void reply.status(503).send(exception.getResponse());
      return;
    }
    const body = toErrorBody(exception, request?.id, this.logger);
    if (exception instanceof TooManyRequestsError)
      void reply.header('Retry-After', String(exception.retryAfterSeconds));
    void reply.status(body.statusCode).send(body);
  }
}

export function toErrorBody(exception: unknown, requestId: string | undefined, logger: Logger): ErrorBody {
  if (exception instanceof BrainError) {
    if (exception.status >= 500)
      logger.warn(`${exception.message} [${requestId}] ${describeCause(exception.cause)}`);
    return {
      statusCode: exception.status,
      error: reasonPhrase(exception.status),
      message: exception.message,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : exception.message;
    // Nest hands Fastify's rejections on as HttpExceptions; a 415 is always about the one type Brain reads.
    if (status === 415) return { statusCode: status, error: reasonPhrase(status), message: JSON_ONLY };
    return { statusCode: status, error: reasonPhrase(status), message };
  }
  const fastifyStatus = (exception as { statusCode?: number })?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    // Fastify's own rejections (body too large, malformed JSON, wrong content type): the client's fault.
    return {
      statusCode: fastifyStatus,
      error: reasonPhrase(fastifyStatus),
      message: clientMessage(exception, fastifyStatus),
    };
  }
  const dependency = unavailableDependency(exception);
  if (dependency) {
    logger.warn(`${dependency} unavailable [${requestId}]: ${(exception as Error).message}`);
    return {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: reasonPhrase(503),
      message: `${dependency} is unavailable, try again`,
      requestId,
    };
  }
  logger.error(`Unhandled error [${requestId}]: ${(exception as Error)?.stack ?? String(exception)}`);
  return {
    statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
    error: reasonPhrase(500),
    message: `internal error (request id ${requestId ?? 'unknown'})`,
    requestId,
  };
}

function clientMessage(exception: unknown, status: number): string {
  if (status === 413) return 'request body is larger than BRAIN_MAX_PAYLOAD_BYTES';
  if (status === 415) return JSON_ONLY;
  const code = (exception as { code?: string }).code ?? '';
  if (code.startsWith('FST_ERR_CTP') || /JSON/i.test((exception as Error).message))
    return 'body is not valid JSON';
  return (exception as Error).message;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? `(${cause.message})` : '';
}

function isHealthCheckResult(response: unknown): boolean {
  const result = response as { status?: unknown } | null;
  return (
    typeof result === 'object' && result !== null && typeof result.status === 'string' && 'details' in result
  );
}
