import { Snapshot } from './snapshot';

describe('Snapshot', () => {
  let now: number;
  let calls: number;
  let fail: boolean;
  let snapshot: Snapshot<number>;

  beforeEach(() => {
    now = 1_000_000;
    calls = 0;
    fail = false;
    snapshot = new Snapshot(
      () => {
        calls += 1;
        return fail ? Promise.reject(new Error('down')) : Promise.resolve(calls);
      },
      5000,
      () => now,
    );
  });

  it('measures once per period however often it is asked', async () => {
    expect(await snapshot.get()).toBe(1);
    now += 4999;
    expect(await Promise.all([snapshot.get(), snapshot.get()])).toEqual([1, 1]);
    expect(calls).toBe(1);
    now += 1;
    expect(await snapshot.get()).toBe(2);
  });

  it('shares one measurement between concurrent askers', async () => {
    const [a, b] = await Promise.all([snapshot.get(), snapshot.get()]);
    expect([a, b, calls]).toEqual([1, 1, 1]);
  });

  it('remembers a failure for the period, then measures again', async () => {
    fail = true;
    await expect(snapshot.get()).rejects.toThrow('down');
    await expect(snapshot.get()).rejects.toThrow('down');
    expect(calls).toBe(1);
    fail = false;
    now += 5000;
    expect(await snapshot.get()).toBe(2);
  });
});
