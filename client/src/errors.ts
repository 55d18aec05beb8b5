/** The contract's error body: `{ statusCode, error, message }` (5xx answers add `requestId`). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId?: string;
}

/** An answer of 4xx or 5xx from Brain. `instanceof` one of the subclasses to tell them apart. */
export class BrainError extends Error {
  readonly statusCode: number;
  readonly error: string;
  readonly requestId?: string;

  constructor(body: ErrorBody) {
    super(body.message);
    this.name = new.target.name;
    this.statusCode = body.statusCode;
    this.error = body.error;
    this.requestId = body.requestId;
  }

  /** The contract's shape, as the server sent it. */
  toJSON(): ErrorBody {
    const { statusCode, error, message, requestId } = this;
    return requestId === undefined
      ? { statusCode, error, message }
      : { statusCode, error, message, requestId };
  }
}

export class BadRequestError extends BrainError {}
export class UnauthorizedError extends BrainError {}
export class ForbiddenError extends BrainError {}
export class NotFoundError extends BrainError {}
export class ConflictError extends BrainError {}
export class PayloadTooLargeError extends BrainError {}
export class UnsupportedMediaTypeError extends BrainError {}

/** 429: too many requests or waiters; `retryAfterMs` is the server's Retry-After, when it gave one. */
export class RateLimitedError extends BrainError {
  constructor(
    body: ErrorBody,
    readonly retryAfterMs?: number,
  ) {
    super(body);
  }
}

export class InternalServerError extends BrainError {}

/** 503: a dependency (Redis, Postgres) is down or the server is shutting down; nothing was half-written. */
export class UnavailableError extends BrainError {
  constructor(
    body: ErrorBody,
    readonly retryAfterMs?: number,
  ) {
    super(body);
  }
}

/** No HTTP answer at all: refused, reset, timed out. `cause` is what fetch threw. */
export class BrainConnectionError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'BrainConnectionError';
  }
}

const BY_STATUS: Record<number, new (body: ErrorBody) => BrainError> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  500: InternalServerError,
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
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The typed error for an error answer. A body that is not the contract's shape (a proxy's HTML page, say) still
 * gives the status's class, with the text as message.
 */
export function errorFromResponse(status: number, body: unknown, retryAfterMs?: number): BrainError {
  const shaped = isErrorBody(body)
    ? { ...body, message: Array.isArray(body.message) ? body.message.join('; ') : body.message }
    : {
        statusCode: status,
        error: REASONS[status] ?? 'Error',
        message: typeof body === 'string' && body.length > 0 ? body.slice(0, 500) : `HTTP ${status}`,
      };
  if (status === 429) return new RateLimitedError(shaped, retryAfterMs);
  if (status === 503) return new UnavailableError(shaped, retryAfterMs);
  const Class = BY_STATUS[status] ?? BrainError;
  return new Class(shaped);
}

/** Nest's validation errors may carry a list of messages; the class always carries one string. */
function isErrorBody(body: unknown): body is Omit<ErrorBody, 'message'> & { message: string | string[] } {
  if (typeof body !== 'object' || body === null) return false;
  const { statusCode, error, message } = body as Record<string, unknown>;
  return (
    typeof statusCode === 'number' &&
    typeof error === 'string' &&
    (typeof message === 'string' || (Array.isArray(message) && message.every((m) => typeof m === 'string')))
  );
}
