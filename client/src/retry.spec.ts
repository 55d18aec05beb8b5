import { backoffDelay, parseRetryAfter, retryPolicy } from './retry';

describe('backoff', () => {
  const policy = retryPolicy({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 });

  it('doubles the ceiling each attempt, jittered below it, and never exceeds maxDelayMs', () => {
    expect(
      [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(policy, attempt, undefined, () => 0.999999)),
    ).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(policy, 3, undefined, () => 0)).toBe(0);
    expect(backoffDelay(policy, 3, undefined, () => 0.5)).toBe(200);
  });

  it('spreads clients that fail together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(policy, 4)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it("waits at least the server's Retry-After, capped at maxDelayMs", () => {
    expect(backoffDelay(policy, 1, 700, () => 0.5)).toBe(700);
    expect(backoffDelay(policy, 4, 100, () => 0.5)).toBe(400);
    expect(backoffDelay(policy, 1, 60000, () => 0.5)).toBe(1000);
  });

  it('refuses a policy that cannot work', () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => retryPolicy({ baseDelayMs: 500, maxDelayMs: 100 })).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, in milliseconds', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
  });
});
