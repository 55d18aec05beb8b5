import {
  BadRequestError,
  BrainError,
  ConflictError,
  errorFromResponse,
  ForbiddenError,
  InternalServerError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
} from './errors';

const body = (statusCode: number, error: string, message: string) => ({ statusCode, error, message });

describe('errorFromResponse', () => {
  it.each([
    [400, BadRequestError],
    [401, UnauthorizedError],
    [403, ForbiddenError],
    [404, NotFoundError],
    [409, ConflictError],
    [413, PayloadTooLargeError],
    [415, UnsupportedMediaTypeError],
    [429, RateLimitedError],
    [500, InternalServerError],
    [503, UnavailableError],
  ])('maps %i to its class, carrying the contract shape', (status, Class) => {
    const error = errorFromResponse(status, body(status, 'Some Reason', `what went wrong (${status})`));
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(BrainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(Class.name);
    expect(error.toJSON()).toEqual(body(status, 'Some Reason', `what went wrong (${status})`));
  });

  it('keeps Retry-After on 429 and 503', () => {
    expect(
      (errorFromResponse(429, body(429, 'Too Many Requests', 'slow down'), 2000) as RateLimitedError)
        .retryAfterMs,
    ).toBe(2000);
    expect(
      (errorFromResponse(503, body(503, 'Service Unavailable', 'redis'), 1000) as UnavailableError)
        .retryAfterMs,
    ).toBe(1000);
  });

  it('keeps the request id of a 5xx answer', () => {
    const error = errorFromResponse(500, { ...body(500, 'Internal Server Error', 'boom'), requestId: 'r-1' });
    expect(error.requestId).toBe('r-1');
    expect(error.toJSON()).toEqual({ ...body(500, 'Internal Server Error', 'boom'), requestId: 'r-1' });
  });

  it("joins a validation error's list of messages", () => {
    const error = errorFromResponse(400, {
      statusCode: 400,
      error: 'Bad Request',
      message: ['a is bad', 'b is bad'],
    });
    expect(error.message).toBe('a is bad; b is bad');
  });

  it('gives an unshaped answer (a proxy page) its status class and the text', () => {
    const error = errorFromResponse(502, '<html>Bad Gateway</html>');
    expect(error).toBeInstanceOf(BrainError);
    expect(error.toJSON()).toEqual({ statusCode: 502, error: 'Error', message: '<html>Bad Gateway</html>' });
    expect(errorFromResponse(404, undefined).toJSON()).toEqual(body(404, 'Not Found', 'HTTP 404'));
  });
});
