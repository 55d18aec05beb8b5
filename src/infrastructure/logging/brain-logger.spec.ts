import { Writable } from 'node:stream';
import pino from 'pino';
import { BrainLogger } from './brain-logger';

function logger(): { log: BrainLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: new BrainLogger(pino({ level: 'trace' }, sink)), lines };
}

describe('BrainLogger', () => {
  it('writes a Nest line with its level, context and message', () => {
    const { log, lines } = logger();
    log.log('Listening', 'Brain');
    log.warn('careful', 'Redis');
    log.verbose('detail', 'X');
    expect(lines).toMatchObject([
      { level: 30, context: 'Brain', msg: 'Listening' },
      { level: 40, context: 'Redis', msg: 'careful' },
      { level: 10, context: 'X', msg: 'detail' },
    ]);
  });

  it("keeps an error's stack: an Error, or Nest's (message, stack, context)", () => {
    const { log, lines } = logger();
    log.error(new Error('boom'), 'Errors');
    log.error('failed', 'Error: failed\n    at somewhere (file.ts:1:1)', 'ExceptionsHandler');
    expect(lines[0]).toMatchObject({ level: 50, context: 'Errors', err: { message: 'boom' } });
    expect(lines[1]).toMatchObject({
      level: 50,
      context: 'ExceptionsHandler',
      err: { message: 'failed', stack: 'Error: failed\n    at somewhere (file.ts:1:1)' },
    });
  });

  it('merges an object message into the line', () => {
    const { log, lines } = logger();
    log.log({ lag: 3 }, 'Archiver');
    expect(lines[0]).toMatchObject({ level: 30, context: 'Archiver', lag: 3 });
  });
});
