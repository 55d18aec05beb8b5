import { createHash, randomUUID } from 'node:crypto';

/**
 * Message ids Brain chooses itself carry the (sender, target) pair they were published for, so they need no global
 * claim key (one key per message was the bulk of Redis memory): a UUID version 8 (RFC 9562, custom layout) whose
 * first 8 hex digits are the pair's tag, a 32-bit hash of "<sender> <target>", and the rest random. The tag's pairs
 * are kept once per pair (`{idtag:<tag>}`, a set), so an id is found, and checked for uniqueness, by looking in the
 * ids index of those pairs' slots. Ids a client chooses keep their `{msg:<id>}` claim.
 */

/** The 32-bit tag (8 hex digits) of a (sender, target) pair. */
export function pairTag(owner: string): string {
  return createHash('sha1').update(owner).digest('hex').slice(0, 8);
}

/** A fresh id for a message of the pair with this tag: random, version 8, its first 8 hex digits the tag. */
export function taggedMessageId(tag: string): string {
  const random = randomUUID();
  return `${tag}${random.slice(8, 14)}8${random.slice(15)}`;
}

/** The pair tag of an id of the tagged layout (version 8), or null for any other id (a v4 uuid, say). */
export function tagOf(messageId: string): string | null {
  return messageId.length === 36 && messageId[14] === '8' ? messageId.slice(0, 8) : null;
}
