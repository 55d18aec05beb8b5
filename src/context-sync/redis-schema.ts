/**
 * ContextSync's Redis data model, mirrored from the schema block at the top of lua/_common.lua (keep them in step).
 * The key names themselves are built in infrastructure/redis/keys.ts; this names what lives inside them.
 */

/** Consumer groups. A direct mailbox's recipient reads with `inbox`; a broadcast member with its own agent id. */
export const GROUPS = { archive: 'archive', inbox: 'inbox' } as const;

/** Fields of a stream entry (two letters keep every stored message small). */
export const ENTRY_FIELDS = {
  messageId: 'm',
  from: 'f',
  type: 'ty',
  payload: 'p',
  timestampMs: 'ts',
  /** 'broadcast' on a copy requeued from a broadcast dead letter into a direct mailbox, else ''. */
  to: 'to',
  /** Expiry (ms) of a message published with ttlSeconds; absent without a TTL. */
  expiresAtMs: 'ex',
  /** Optional (absent when unused): the message this one answers. */
  inReplyTo: 'rt',
  /** Optional: "capability:<name>" when Brain chose the recipient. */
  routedBy: 'rb',
  /** A delayed message: when it was due (ms); absent otherwise. */
  deliverAtMs: 'da',
} as const;

/** Extra fields of a dead letter (a copy of the entry). */
export const DEAD_LETTER_FIELDS = {
  priorityIndex: 'pr',
  reason: 'reason',
  detail: 'detail',
  deadAtMs: 'deadAt',
  deliveryCount: 'dc',
} as const;

/** Fields of an ack-log entry. */
export const ACK_LOG_FIELDS = { messageId: 'm', agentId: 'a', atMs: 'at' } as const;

/** Values of a recipient's acked hash other than an ack time in ms. */
export const ACK_SENTINELS = {
  /** The sender's own broadcast: resolved for it from the start. */
  ownBroadcast: 's',
  /** Dead-lettered: resolved for delivery, not acknowledged. */
  dead: 'd',
  /** A broadcast dead letter requeued into the recipient's direct mailbox: its state lives there now. */
  requeued: 'r',
  /** Past its TTL before the recipient acknowledged it (fetch.lua marks it when it meets it). */
  expired: 'x',
} as const;

/** Fields of a recipient's cursor hash, per priority index p. */
export const CURSOR_FIELDS = {
  /** Last entry id handed to the recipient's group. */
  cursor: (p: number) => `c:${p}`,
  /** Entries the group has read (or trimming counted as read). */
  read: (p: number) => `r:${p}`,
  /** Entries acknowledged before they were read, all priorities / priority p. */
  early: 'early',
  earlyAt: (p: number) => `early:${p}`,
  /** Due ms of a nack's requeue delayed past the visibility timeout (fetch holds the entry back until then). */
  hold: (messageId: string) => `hold:${messageId}`,
} as const;

/** Fields of the counters and stats hashes. */
export const COUNTER_FIELDS = {
  acked: 'acked',
  dead: 'dead',
  /** Entries ever appended to the slot's stream of priority p. */
  added: (p: number) => `added:${p}`,
} as const;
