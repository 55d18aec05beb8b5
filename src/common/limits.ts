/**
 * The size limits of everything an agent sends, defined once: the REST DTOs and the services (which in-process
 * agents call directly) import the same numbers, so an agent gets the same limits whichever way it talks to Brain.
 * The contract's "Limits that protect every agent from every other" lists them.
 */

/** Messages per pending read; acks per batch; dead letters per listing. */
export const MAX_COUNT = 1000;
/** Messages per pending read when `count` is not given. */
export const DEFAULT_PENDING_COUNT = 10;
/** Longest long poll of a pending read, in ms. */
export const MAX_WAIT_MS = 30_000;
/** Largest page of memories, history or a conversation. */
export const MAX_PAGE_LIMIT = 1000;

/** A message's or a memory's `type`. */
export const MAX_TYPE_LENGTH = 64;
/** Tags of a memory, each 1..MAX_TAG_LENGTH characters. */
export const MAX_TAGS = 32;
export const MAX_TAG_LENGTH = 64;
/** A memory search (`q`). */
export const MAX_QUERY_TEXT_LENGTH = 256;
/** A memory's ttlSeconds: ten years. */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 60 * 60;

/** An agent's registration. */
export const MAX_AGENT_NAME_LENGTH = 128;
export const MAX_AGENT_DESCRIPTION_LENGTH = 1024;
export const MAX_CAPABILITIES = 64;
export const MAX_CAPABILITY_LENGTH = 64;

/** `POST /v1/messages/{id}/lease`: the longest a consumer may keep a message in one extension (an hour). */
export const MAX_LEASE_EXTENSION_MS = 3_600_000;
/** A nack's reason text, and how long a requeue may wait (contract: "Consumers"). */
export const MAX_NACK_REASON_LENGTH = 500;
export const MAX_NACK_DELAY_MS = 3_600_000;
/** How long a publish may be delayed (`delayMs`, contract v1.1). */
export const MAX_PUBLISH_DELAY_MS = 86_400_000;
