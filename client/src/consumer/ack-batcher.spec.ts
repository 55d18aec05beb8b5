import { AckBatcher } from './ack-batcher';

describe('AckBatcher', () => {
  it('sends ids in batches, retries a failed call, and reports each id once after the server took it', async () => {
    const calls: string[][] = [];
    let failNext = 1;
    const sink = {
      acknowledgeMany: (_agent: string, ids: string[]) => {
        calls.push([...ids]);
        if (failNext-- > 0) return Promise.reject(new Error('connect ECONNREFUSED'));
        return Promise.resolve({ acknowledged: ids.length });
      },
    };
    const reported: string[] = [];
    const errors: unknown[] = [];
    const batcher = new AckBatcher(
      sink,
      'dexter',
      3,
      10_000,
      (ids) => reported.push(...ids),
      (e) => errors.push(e),
    );
    for (const id of ['a', 'b', 'c', 'd']) batcher.add(id);
    expect(await batcher.close(Date.now() + 10_000)).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(calls[0]).toEqual(['a', 'b', 'c']);
    expect(reported.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(batcher.size).toBe(0);
  });

  it('gives up at the deadline of close() and returns what was not acknowledged', async () => {
    const sink = { acknowledgeMany: () => Promise.reject(new Error('down')) };
    const reported: string[] = [];
    const batcher = new AckBatcher(
      sink,
      'dexter',
      100,
      5,
      (ids) => reported.push(...ids),
      () => undefined,
    );
    batcher.add('a');
    batcher.add('b');
    expect(await batcher.close(Date.now() + 300)).toEqual(['a', 'b']);
    expect(reported).toEqual([]);
  });
});
