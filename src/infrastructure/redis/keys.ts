import { isAgentId, MESSAGE_ID_PATTERN, PRIORITIES } from '../../common/ids';

/**
 * The one file that builds Brain's Redis keys. Every key carries a Redis Cluster hash tag so that all keys of one
 * agent share a slot (`{agent:<id>}`), all broadcast keys share theirs (`{broadcast}`), and each script touches one
 * slot only. Ids are checked here (by the rules of common/ids), so no key is ever built from unchecked input.
 */
function checkedAgent(agentId: string): string {
  if (!isAgentId(agentId)) throw new Error(`refusing to build a Redis key from agent id '${agentId}'`);
  return agentId;
}

function checkedMessage(messageId: string): string {
  if (!MESSAGE_ID_PATTERN.test(messageId))
    throw new Error(`refusing to build a Redis key from message id '${messageId}'`);
  return messageId;
}

/** Capability names are free text: anything but [A-Za-z0-9_.-] is percent-encoded, braces included (hash tags). */
function escapedCapability(capability: string): string {
  if (capability.length === 0 || capability.length > 200)
    throw new Error('refusing an empty or long capability key');
  return capability.replace(/[^A-Za-z0-9_.-]/g, (char) =>
    encodeURIComponent(char).replace(/[!'()*~]/g, hexOf),
  );
}

function hexOf(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

/** The keys of one mailbox: an agent's own (direct) streams, or the broadcast streams as seen by one member. */
export interface MailboxKeys {
  /** Slot-local tag, e.g. `{agent:nova}` or `{broadcast}`. */
  tag: string;
  /** One stream per priority, in PRIORITIES order. */
  streams: string[];
  /** Message id -> "<priority> <entry id>", for idempotent publish and lookups by id. Shared by the slot. */
  ids: string;
  /**
   * Message id -> the recipient's resolution (ack time in ms, or a sentinel): the source of truth for "acknowledged".
   * Broadcast: the member's own hash. Direct: the `ids` key itself, since the slot has one recipient: a resolution is
   * the third word of its ids value ("<p> <entry id> <resolution>"), which saves a hash entry per message.
   */
  acked: string;
  /** Priority -> last entry id handed to this recipient's consumer group (mirrors the group's last-delivered-id). */
  cursor: string;
  /** Acks waiting for the archiver (stream). Shared by the slot. */
  ackLog: string;
  /** Dead letters of this recipient (stream). */
  dead: string;
  /** Message id -> entry id in `dead`: finds a dead letter by id without scanning `dead`. Same slot as `dead`. */
  deadIndex: string;
  /** Counters (acknowledged, dead) of this recipient. */
  counters: string;
  /** The slot's stats (added:<priority> = entries ever appended). For a direct mailbox, the counters hash. */
  stats: string;
  /** Direct: the agent's meta (exists while registered). Broadcast: the members hash. */
  gate: string;
  /** The consumer group of the recipient on `streams`. */
  group: string;
  /** Zset "<priority index> <entry id>" -> ms until which a consumer keeps a held entry (lease extension). */
  leases: string;
}

export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Direct mailbox of an agent: everything lives in the agent's slot. */
  agentMailbox(agentId: string): MailboxKeys {
    const tag = `{agent:${checkedAgent(agentId)}}`;
    const base = `${this.prefix}:${tag}`;
    return {
      tag,
      streams: PRIORITIES.map((priority) => `${base}:stream:${priority}`),
      ids: `${base}:ids`,
      acked: `${base}:ids`,
      cursor: `${base}:cursor`,
      ackLog: `${base}:acklog`,
      dead: `${base}:dead`,
      deadIndex: `${base}:deadidx`,
      counters: `${base}:counters`,
      stats: `${base}:counters`,
      gate: `${base}:meta`,
      group: 'inbox',
      leases: `${base}:leases`,
    };
  }

  /** The acked hash a direct mailbox had before its resolutions moved into its ids values (fold-acked.lua). */
  formerDirectAcked(agentId: string): string {
    return `${this.prefix}:{agent:${checkedAgent(agentId)}}:acked`;
  }

  /** Broadcast mailbox as seen by one member: shared streams, per-member state, all in the broadcast slot. */
  broadcastMailbox(agentId: string): MailboxKeys {
    const member = checkedAgent(agentId);
    const base = `${this.prefix}:{broadcast}`;
    return {
      tag: '{broadcast}',
      streams: this.broadcastStreams(),
      ids: `${base}:ids`,
      acked: `${base}:acked:${member}`,
      cursor: `${base}:cursor:${member}`,
      ackLog: `${base}:acklog`,
      dead: `${base}:dead:${member}`,
      deadIndex: `${base}:deadidx:${member}`,
      counters: `${base}:counters:${member}`,
      stats: this.broadcastStats(),
      gate: this.broadcastMembers(),
      group: member,
      leases: `${base}:leases:${member}`,
    };
  }

  /**
   * Sharded pub/sub channel in the mailbox's slot: publish notifies it (from inside its script), long polls of
   * the mailbox's recipients listen. A notification only means "look again"; nothing is lost when nobody listens.
   */
  wakeChannel(mailbox: MailboxKeys): string {
    return `${this.prefix}:${mailbox.tag}:wake`;
  }

  /** The keys of a mailbox named by its kind and recipient. */
  mailbox(address: { kind: 'direct' | 'broadcast'; agentId: string }): MailboxKeys {
    return address.kind === 'direct'
      ? this.agentMailbox(address.agentId)
      : this.broadcastMailbox(address.agentId);
  }

  broadcastStreams(): string[] {
    return PRIORITIES.map((priority) => `${this.prefix}:{broadcast}:stream:${priority}`);
  }

  /** The broadcast slot's stats (added:<priority> = broadcasts ever appended), shared by every member. */
  broadcastStats(): string {
    return `${this.prefix}:{broadcast}:stats`;
  }

  /** Broadcast members: agent id -> the stream ids at which it joined (it gets broadcasts after those). */
  broadcastMembers(): string {
    return `${this.prefix}:{broadcast}:members`;
  }

  /** Delayed messages not due yet: message id -> due ms (zset), in one slot of their own. */
  delayedQueue(): string {
    return `${this.prefix}:{delayed}:queue`;
  }

  /** Delayed messages not due yet: message id -> the publish to make when due (JSON). */
  delayedItems(): string {
    return `${this.prefix}:{delayed}:items`;
  }

  broadcastIds(): string {
    return `${this.prefix}:{broadcast}:ids`;
  }

  broadcastAckLog(): string {
    return `${this.prefix}:{broadcast}:acklog`;
  }

  /** An agent's registration in Redis (what publish and auth need while Postgres is down). */
  agentMeta(agentId: string): string {
    return `${this.prefix}:{agent:${checkedAgent(agentId)}}:meta`;
  }

  /** The set of registered agent ids: the registry that cross-agent work iterates (never KEYS). */
  agentRegistry(): string {
    return `${this.prefix}:{registry}:agents`;
  }

  /** Registered agents offering a capability (routing's candidates); the name is escaped, any text may be one. */
  capabilityAgents(capability: string): string {
    return `${this.prefix}:{cap:${escapedCapability(capability)}}:agents`;
  }

  /** Agent id -> when routing last chose it for this capability (ms): the tie-break between equally loaded agents. */
  capabilityRouted(capability: string): string {
    return `${this.prefix}:{cap:${escapedCapability(capability)}}:routed`;
  }

  /** Global claim of a message id: "<sender> <target>", so an id is unique across targets and findable by id. */
  messageClaim(messageId: string): string {
    return `${this.prefix}:{msg:${checkedMessage(messageId)}}`;
  }

  /** The (sender, target) pairs, "<sender> <target>", whose Brain-chosen message ids carry this tag (a set). */
  messageIdTag(tag: string): string {
    if (!/^[0-9a-f]{8}$/.test(tag)) throw new Error(`Not a message id tag: ${tag}`);
    return `${this.prefix}:{idtag:${tag}}`;
  }

  /** Read cache of one agent's memory queries; the version key is bumped on every write to invalidate. */
  memoryCacheVersion(agentId: string): string {
    return `${this.prefix}:{agent:${checkedAgent(agentId)}}:memcache:version`;
  }

  memoryCacheEntry(agentId: string, version: string, queryHash: string): string {
    if (!/^[0-9a-f]{16,64}$/.test(queryHash) || !/^\d+$/.test(version))
      throw new Error('invalid cache key part');
    return `${this.prefix}:{agent:${checkedAgent(agentId)}}:memcache:${version}:${queryHash}`;
  }

  /** Bytes a reader (an agent, or the admin when null) added to the memory read cache in the current window. */
  memoryCacheBudget(readerId: string | null): string {
    return readerId === null
      ? `${this.prefix}:memcache:budget:admin`
      : `${this.prefix}:{agent:${checkedAgent(readerId)}}:memcache:budget`;
  }

  /** Rate-limit counters (throttler storage), one slot per agent. */
  rateLimit(agentId: string, name: string): string {
    if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new Error('invalid throttler name');
    return `${this.prefix}:{agent:${checkedAgent(agentId)}}:ratelimit:${name}`;
  }

  /** Counter of failed authentications from one client address (IPv4 or IPv6), one slot per address. */
  authFailures(address: string): string {
    return `${this.prefix}:{authfail:${address.replace(/[^0-9A-Za-z:.]/g, '_').slice(0, 64)}}:ratelimit:auth`;
  }

  lock(name: string): string {
    if (!/^[a-z0-9:-]{1,64}$/.test(name)) throw new Error(`invalid lock name '${name}'`);
    return `${this.prefix}:{lock:${name}}`;
  }

  /** SCAN pattern matching every key Brain owns under this prefix (for clear). */
  everything(): string {
    return `${this.prefix}:*`;
  }
}
