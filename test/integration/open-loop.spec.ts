import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { openLoop } from '../../bench/lib/open-loop';

/**
 * The bench's open-loop generator measures each request from the time it is due. A request sent late carries
 * that delay in its latency, so the generator itself must send on time: at 20 req/s a request left one whole
 * interval (50 ms) after its due time before this was fixed, and every light-load latency read 50 ms too high.
 */
describe('bench open-loop generator', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(201, { 'content-length': '0' }).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends each request when it is due: latency of an instant server is far below one interval', async () => {
    const rate = 20;
    const result = await openLoop({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: {},
      request: (i) => ({ id: String(i), body: '{}' }),
      rate,
      seconds: 1,
      connections: 2,
    });
    expect(result).toMatchObject({ scheduled: rate, completed: rate, created: rate, errorCount: 0 });
    // One interval is 50 ms; an answer from an idle local server takes well under a millisecond or two.
    expect(result.p50Ms).toBeLessThan(1000 / rate / 2);
  });
});
