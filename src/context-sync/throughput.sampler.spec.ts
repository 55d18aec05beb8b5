import { MailboxStatsService, ThroughputTotals } from './mailbox-stats.service';
import { THROUGHPUT_WINDOW_MS } from './context-message';
import { ThroughputSampler } from './throughput.sampler';

describe('ThroughputSampler', () => {
  let totals: ThroughputTotals;
  let now: number;
  let sampler: ThroughputSampler;

  beforeEach(() => {
    now = 1_000_000;
    totals = { published: 0, acknowledged: 0 };
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    sampler = new ThroughputSampler({
      throughputTotals: () => Promise.resolve({ ...totals }),
    } as unknown as MailboxStatsService);
  });

  afterEach(() => jest.restoreAllMocks());

  const step = async (ms: number, published: number, acknowledged: number) => {
    now += ms;
    totals = { published, acknowledged };
    await sampler.sample();
  };

  it('turns counter samples into rates per second, one point per step after the first sample', async () => {
    await step(0, 100, 50);
    expect(sampler.series(now)).toEqual([]);
    await step(2000, 120, 51);
    await step(4000, 120, 61);
    expect(sampler.series(now)).toEqual([
      { at: new Date(1_002_000), published: 10, acknowledged: 0.5 },
      { at: new Date(1_006_000), published: 0, acknowledged: 2.5 },
    ]);
  });

  it('counts a step where counters vanished (agent deleted, data cleared) as 0, never negative', async () => {
    await step(0, 100, 50);
    await step(2000, 10, 0);
    await step(2000, 14, 2);
    expect(sampler.series(now).map((point) => [point.published, point.acknowledged])).toEqual([
      [0, 0],
      [2, 1],
    ]);
  });

  it('keeps 15 minutes: older points leave the series and the buffer', async () => {
    await step(0, 0, 0);
    for (let i = 1; i <= 500; i += 1) await step(2000, i * 2, 0);
    const series = sampler.series(now);
    expect(series.length).toBe(THROUGHPUT_WINDOW_MS / 2000);
    expect(series[0].at.getTime()).toBeGreaterThan(now - THROUGHPUT_WINDOW_MS);
    expect(series.every((point) => point.published === 1)).toBe(true);
    expect((sampler as unknown as { samples: unknown[] }).samples.length).toBeLessThanOrEqual(
      series.length + 2,
    );
  });

  it('skips a sample that fails, and the next step spans the gap at its true rate', async () => {
    await step(0, 0, 0);
    const failing = jest.fn(() => Promise.reject(new Error('Redis is down')));
    const original = (sampler as unknown as { stats: MailboxStatsService }).stats;
    (sampler as unknown as { stats: unknown }).stats = { throughputTotals: failing };
    await step(2000, 999, 999);
    (sampler as unknown as { stats: unknown }).stats = original;
    await step(2000, 40, 8);
    expect(failing).toHaveBeenCalled();
    expect(sampler.series(now)).toEqual([{ at: new Date(now), published: 10, acknowledged: 2 }]);
  });
});
