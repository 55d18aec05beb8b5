/**
 * Domain errors. Services throw these; BrainExceptionFilter maps them to HTTP once, in one place.
 */
export abstract class BrainError extends Error {
  abstract readonly status: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class AgentNotFoundError extends BrainError {
  readonly status = 404;
  constructor(readonly agentId: string) {
    super(`agent '${agentId}' is not registered`);
  }
}

export class AgentAlreadyExistsError extends BrainError {
  readonly status = 409;
  constructor(readonly agentId: string) {
    super(`agent '${agentId}' already exists`);
  }
}

export class MessageNotFoundError extends BrainError {
  readonly status = 404;
  constructor(readonly messageId: string) {
    super(`message '${messageId}' was not found`);
  }
}

/** The message exists, but not for this agent: answered like a missing message so ids leak nothing. */
export class NotRecipientError extends BrainError {
  readonly status = 404;
  constructor(messageId: string, agentId: string) {
    super(`message '${messageId}' is not addressed to agent '${agentId}'`);
  }
}

export class DeadLetterNotFoundError extends BrainError {
  readonly status = 404;
  constructor(messageId: string, agentId: string) {
    super(`message '${messageId}' is not among the dead letters of agent '${agentId}'`);
  }
}

/** A requeue would deliver again a message the agent has acknowledged. */
export class AlreadyAcknowledgedError extends BrainError {
  readonly status = 409;
  constructor(messageId: string, agentId: string) {
    super(`message '${messageId}' is already acknowledged by agent '${agentId}': it cannot be requeued`);
  }
}

/** A lease extension asked by a consumer that does not hold the message (nobody leased it, or its lease ran out). */
export class LeaseNotHeldError extends BrainError {
  readonly status = 404;
  constructor(messageId: string, consumer: string, agentId: string) {
    super(`message '${messageId}' is not leased to consumer '${consumer}' of agent '${agentId}'`);
  }
}

/** Another consumer of the agent holds the message now: only it may extend the lease. */
export class LeaseHeldByOtherError extends BrainError {
  readonly status = 409;
  constructor(messageId: string, consumer: string, agentId: string) {
    super(`message '${messageId}' is leased to another consumer of agent '${agentId}' than '${consumer}'`);
  }
}

export class ForbiddenActionError extends BrainError {
  readonly status = 403;
}

export class InvalidRequestError extends BrainError {
  readonly status = 400;
}

/** Redis or Postgres could not do what was asked; nothing was half-written. */
export class DependencyUnavailableError extends BrainError {
  readonly status = 503;
  constructor(
    readonly dependency: 'redis' | 'postgres',
    cause?: unknown,
  ) {
    super(`${dependency} is unavailable, try again`);
    if (cause) this.cause = cause;
  }
}

/** Routing by capability found nobody to route to (the sender itself does not count). */
export class NoCapableAgentError extends BrainError {
  readonly status = 404;
  constructor(capability: string) {
    super(`no registered agent offers capability '${capability}'`);
  }
}

/** A message id that was already used for a different sender or recipient. */
export class MessageIdConflictError extends BrainError {
  readonly status = 409;
  constructor(messageId: string) {
    super(`message id '${messageId}' was already used for another message`);
  }
}

/** The token a long poll came with stopped working while it waited (rotated away, or its agent deleted). */
export class CredentialsRevokedError extends BrainError {
  readonly status = 401;
  constructor() {
    super('the bearer token stopped working while the request waited (rotated, or its agent deleted)');
  }
}

/** Too much at once, for now: the client may try again after `retryAfterSeconds` (sent as `Retry-After`). */
export class TooManyRequestsError extends BrainError {
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A nack of a message the agent has acknowledged: there is nothing left to reject or retry. */
export class AcknowledgedBeforeError extends BrainError {
  readonly status = 404;
  constructor(messageId: string, agentId: string) {
    super(`message '${messageId}' is already acknowledged by agent '${agentId}'`);
  }
}

/** Another consumer of the agent holds the message's lease now. */
export class LeasedByAnotherError extends BrainError {
  readonly status = 409;
  constructor(messageId: string, agentId: string) {
    super(`message '${messageId}' is leased by another consumer of agent '${agentId}'`);
  }
}
