import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isAgentId } from '../../common/ids';

/**
 * Agent tokens are `<agentId>.<secret>`: the id tells auth whose hash to look up (one Redis read, no scan), the
 * 256-bit secret is what makes the token unguessable. Only the sha256 of the whole token is stored; a fast hash is
 * enough for a random secret of that size (there is nothing to brute-force that a slow hash would protect).
 */
export function newAgentToken(agentId: string): string {
  return `${agentId}.${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The agent id a token claims, or undefined when the token is not shaped like an agent token. */
export function agentIdOfToken(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const agentId = token.slice(0, dot);
  return isAgentId(agentId) ? agentId : undefined;
}

/** Constant-time comparison of two hex digests (compared as equal-length buffers, so no length leak either). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** Pulls the token out of an `Authorization: Bearer <token>` header; undefined for any other shape. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer ([\x21-\x7e]{1,1024})$/i.exec(value ?? '');
  return match?.[1];
}
