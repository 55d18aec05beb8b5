import { RateLimitedError } from '../errors';
import type { ContextMessage } from '../types';
import { EventStream } from './event-stream';
import { LeaseKeeper } from './lease-keeper';
import { SseSource } from './sse-source';

const stream = (text: string) =>
  new EventStream(new Response(text, { headers: { 'content-type': 'text/event-stream' } }));
const frame = (id: string) =>
  `id: ${id}\nevent: message\ndata: ${JSON.stringify({ id, deliveryCount: 1 })}\n\n`;

describe('SseSource reconnects', () => {
  it('at once after "shutting down", with Last-Event-ID; after a 429 not before its Retry-After', async () => {
    const opened: { at: number; lastEventId?: string }[] = [];
    const answers: (() => EventStream)[] = [
      () => stream(`retry: 5000\n\n${frame('a')}${frame('b')}: shutting down, reconnect\n\n`),
      () => {
        throw new RateLimitedError({ statusCode: 429, error: 'Too Many Requests', message: 'busy' }, 300);
      },
      () => stream(`retry: 10\n\n${frame('c')}`),
    ];
    const opener = {
      events: (_agent: string, _query: unknown, options: { signal?: AbortSignal; lastEventId?: string }) => {
        opened.push({ at: Date.now(), lastEventId: options.lastEventId });
        const answer = answers.shift();
        if (answer) return Promise.resolve().then(answer);
        // Later connections stay pending until the source closes them.
        return new Promise<EventStream>((_resolve, reject) =>
          options.signal?.addEventListener('abort', () => reject(new Error('closed'))),
        );
      },
    };
    const warn = jest.fn();
    const keeper = new LeaseKeeper({ extendLease: jest.fn() }, 'c1', 30000, warn);
    const source = new SseSource(opener, {
      agentId: 'kai',
      consumer: 'c1',
      prefetch: 10,
      visibilityTimeoutMs: 30000,
      keeper,
      fallback: { next: () => Promise.reject(new Error('no long polls expected')) },
      warn,
      onDuplicate: jest.fn(),
    });
    const signal = new AbortController().signal;
    const got: ContextMessage[] = [];
    while (got.length < 3) got.push(...(await source.next(10, signal)));
    await source.close();
    keeper.stop();

    expect(got.map((message) => message.id)).toEqual(['a', 'b', 'c']);
    expect(opened.map((open) => open.lastEventId)).toEqual([undefined, 'b', 'b']);
    // "shutting down": no wait for the 5 s `retry`; the 429: at least its Retry-After.
    expect(opened[1].at - opened[0].at).toBeLessThan(1000);
    expect(opened[2].at - opened[1].at).toBeGreaterThanOrEqual(290);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
