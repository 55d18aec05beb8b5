import { RestartBackoff } from './restart-backoff';

describe('RestartBackoff', () => {
  it('doubles from 1 s to at most 30 s while deaths come early, and starts over after a long run', () => {
    const restarts = new RestartBackoff();
    expect([1, 2, 3, 4, 5, 6, 7].map(() => restarts.afterDeath(500))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(restarts.earlyDeaths).toBe(7);
    expect(restarts.afterDeath(60_000)).toBe(1000);
    expect(restarts.earlyDeaths).toBe(0);
  });
});
