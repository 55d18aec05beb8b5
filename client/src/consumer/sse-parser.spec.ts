import { ServerSentEvent, SseParser } from './sse-parser';

/** Feeds the text in chunks of `size` characters: the result must not depend on where the network cut it. */
function parse(text: string, size = text.length): { events: ServerSentEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events: ServerSentEvent[] = [];
  for (let at = 0; at < text.length; at += size) events.push(...parser.feed(text.slice(at, at + size)));
  return { events, parser };
}

describe('SseParser', () => {
  const stream =
    '\ufeffretry: 1000\n\n: keep-alive\n\nid: a1\nevent: message\ndata: {"n":1}\n\n' +
    'data: first\r\ndata:second\r\ndata\r\n\r\nid: b2\revent: custom\rdata: x\r\r: shutting down, reconnect\n\n';

  it.each([1, 2, 3, 7, stream.length])(
    'reads every field, comment and line ending in chunks of %i',
    (size) => {
      const { events, parser } = parse(stream, size);
      expect(events).toEqual([
        { kind: 'retry', ms: 1000 },
        { kind: 'comment', text: 'keep-alive' },
        { kind: 'event', event: 'message', data: '{"n":1}', id: 'a1' },
        // The id stays the last one seen; multi-line data joins with LF; `data` without colon is an empty line.
        { kind: 'event', event: 'message', data: 'first\nsecond\n', id: 'a1' },
        { kind: 'event', event: 'custom', data: 'x', id: 'b2' },
        { kind: 'comment', text: 'shutting down, reconnect' },
      ]);
      expect(parser.lastEventId).toBe('b2');
    },
  );

  it('dispatches nothing without data or before the blank line, ignores bad retry, NUL ids and unknown fields', () => {
    const { events, parser } = parse('id: only-id\n\nretry: 10s\nfoo: bar\nid: bad\0id\ndata: half');
    expect(events).toEqual([]);
    // An event without data still sets the last event id.
    expect(parser.lastEventId).toBe('only-id');
  });

  it('keeps a value that contains colons, and drops only one leading space', () => {
    const { events } = parse('data:  two spaces: and more\n\n');
    expect(events).toEqual([{ kind: 'event', event: 'message', data: ' two spaces: and more' }]);
  });
});
