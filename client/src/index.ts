export { BrainClient } from './brain-client';
export type { BrainClientOptions, CallOptions } from './brain-client';
export type { ConsumeOptions, ConsumerHandle, ConsumerStats, HandlerContext } from './consumer/consumer';
export type { MessageSource } from './consumer/message-source';
export * from './errors';
export { backoffDelay, parseRetryAfter } from './retry';
export type { RetryOptions } from './retry';
export type * from './types';
export type { components, operations, paths } from './generated/openapi';
