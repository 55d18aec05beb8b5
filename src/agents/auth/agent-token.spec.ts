import { agentIdOfToken, bearerToken, hashToken, newAgentToken, sameHash } from './agent-token';

describe('agent tokens', () => {
  it('are <agentId>.<256-bit secret>, different every time', () => {
    const token = newAgentToken('nova');
    expect(token).toMatch(/^nova\.[A-Za-z0-9_-]{43}$/);
    expect(newAgentToken('nova')).not.toBe(token);
    expect(agentIdOfToken(token)).toBe('nova');
  });

  it('name no agent when the id part is not a valid agent id', () => {
    for (const token of [
      'nodot',
      '.secret',
      'Nova.secret',
      'broadcast.secret',
      'a:b.secret',
      `${'a'.repeat(65)}.x`,
    ]) {
      expect(agentIdOfToken(token)).toBeUndefined();
    }
  });

  it('compare hashes in constant time, refusing different lengths and empty ones', () => {
    const hash = hashToken('nova.secret');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sameHash(hash, hashToken('nova.secret'))).toBe(true);
    expect(sameHash(hash, hashToken('nova.secret2'))).toBe(false);
    expect(sameHash(hash, hash.slice(0, 62))).toBe(false);
    expect(sameHash('', '')).toBe(false);
  });

  it('take the token from a Bearer header only', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken(['Bearer first', 'Bearer second'])).toBe('first');
    for (const header of [
      undefined,
      '',
      'Basic abc',
      'Bearer',
      'Bearer ',
      'Bearer a b',
      `Bearer ${'x'.repeat(1025)}`,
    ]) {
      expect(bearerToken(header)).toBeUndefined();
    }
  });
});
