import {
  ArgumentsHost,
  BadRequestException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ReplyError } from 'ioredis';
import { BrainExceptionFilter, toErrorBody } from './brain-exception.filter';
import { AgentNotFoundError, DependencyUnavailableError, ForbiddenActionError } from './errors';

describe('toErrorBody', () => {
  const logger = { warn: jest.fn(), error: jest.fn() } as unknown as Logger & {
    warn: jest.Mock;
    error: jest.Mock;
  };
  beforeEach(() => jest.clearAllMocks());

  it('answers a domain error with its own status and message, in the contract shape', () => {
    expect(toErrorBody(new AgentNotFoundError('ghost'), 'r1', logger)).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: new AgentNotFoundError('ghost').message,
    });
    expect(toErrorBody(new ForbiddenActionError('no'), 'r1', logger)).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'no',
    });
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('logs a domain 503 with its cause, and tells the client only to try again', () => {
    const body = toErrorBody(new DependencyUnavailableError('redis', new Error('socket gone')), 'r2', logger);
    expect(body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'redis is unavailable, try again',
    });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('(socket gone)'));
  });

  it("joins validation messages of Nest's HttpExceptions", () => {
    const error = new BadRequestException(['type must be a string', 'payload must be an object']);
    expect(toErrorBody(error, 'r3', logger)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'type must be a string; payload must be an object',
    });
    expect(toErrorBody(new NotFoundException('Cannot GET /v1/nope'), 'r3', logger).message).toBe(
      'Cannot GET /v1/nope',
    );
  });

  it('says which content type Brain reads on any 415', () => {
    expect(toErrorBody(new UnsupportedMediaTypeException('text/plain'), 'r4', logger)).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: 'Content-Type must be application/json',
    });
  });

  it("maps Fastify's own rejections to client errors with a stable message", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(toErrorBody(tooLarge, 'r5', logger)).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'request body is larger than BRAIN_MAX_PAYLOAD_BYTES',
    });
    const malformed = Object.assign(new SyntaxError('Unexpected token } in JSON at position 9'), {
      statusCode: 400,
    });
    expect(toErrorBody(malformed, 'r5', logger).message).toBe('body is not valid JSON');
  });

  it('turns an outage of a dependency into a 503 naming it, with the request id', () => {
    expect(toErrorBody(new Error('Connection is closed.'), 'r6', logger)).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'redis is unavailable, try again',
      requestId: 'r6',
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('turns anything else into a 500 that shows the request id and hides the error', () => {
    const body = toErrorBody(new ReplyError('WRONGTYPE secret key layout'), 'r7', logger);
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal error (request id r7)',
      requestId: 'r7',
    });
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('WRONGTYPE secret key layout'));
  });

  it('does not mistake a 5xx status on an unknown error for a client error', () => {
    const error = Object.assign(new Error('upstream broke'), { statusCode: 502 });
    expect(toErrorBody(error, 'r8', logger).statusCode).toBe(500);
  });
});

describe('BrainExceptionFilter', () => {
  const replyTo = () => {
    const reply = { status: jest.fn(), send: jest.fn() };
    reply.status.mockReturnValue(reply);
    const host = {
      switchToHttp: () => ({ getRequest: () => ({ id: 'req-1' }), getResponse: () => reply }),
    } as unknown as ArgumentsHost;
    return { reply, host };
  };

  it("passes Terminus' health check result through unchanged, so /health/ready says what is down", () => {
    const result = { status: 'error', info: {}, error: { redis: { status: 'down' } }, details: {} };
    const { reply, host } = replyTo();
    new BrainExceptionFilter().catch(new ServiceUnavailableException(result), host);
    expect(reply.status).toHaveBeenCalledWith(503);
    expect(reply.send).toHaveBeenCalledWith(result);
  });

  it('answers any other 503 in the contract shape', () => {
    const { reply, host } = replyTo();
    new BrainExceptionFilter().catch(new ServiceUnavailableException('busy'), host);
    expect(reply.status).toHaveBeenCalledWith(503);
    expect(reply.send).toHaveBeenCalledWith({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'busy',
    });
  });
});
