import { connect, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { percentile } from './stats';

/**
 * An open-loop HTTP load generator: request i is due at start + i / rate whatever happened before, and its latency
 * is measured from that due time, not from when a connection was free to send it. A closed-loop tool (or one that
 * waits for a free connection before starting the clock) hides queueing when the server falls behind: coordinated
 * omission. Here a slow server shows up as growing latency, and, past `maxBacklogSeconds`, as requests never sent.
 *
 * The client is a minimal HTTP/1.1 keep-alive client on raw sockets, one request in flight per connection, because
 * the generator shares the machine's two cores with the server and every microsecond it spends is taken from it.
 */
export interface OpenLoopOptions {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  /** Body of request i and the id to remember if it is answered as expected; `head` (from requestHead) overrides the
   * method, path and headers for this request (e.g. another agent's token). */
  request: (i: number) => { id: string; body: string; head?: string };
  /** Method of every request whose `head` is not given (default POST). */
  method?: string;
  /** The status that counts as success (default 201); any other is an error. */
  expectStatus?: number;
  rate: number;
  seconds: number;
  connections: number;
  maxBacklogSeconds?: number;
  /** Ids answered 201 go here (for the loss check). */
  created?: string[];
}

export interface OpenLoopResult {
  targetRate: number;
  seconds: number;
  scheduled: number;
  completed: number;
  created: number;
  /** Answers per second over the scheduling window (answers that came later count, the window does not grow). */
  achievedRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: Record<string, number>;
  errorCount: number;
  generatorCpuPercent: number;
}

interface Pending {
  index: number;
  dueAt: number;
  id: string;
  body: string;
  head?: string;
}

/** The start of a request up to its Content-Length value (the body's length and the body follow). */
export function requestHead(
  method: string,
  path: string,
  host: string,
  port: number,
  headers: Record<string, string>,
): string {
  return (
    `${method} ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    'Content-Type: application/json\r\nContent-Length: '
  );
}

class HttpConnection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  current: Pending | undefined;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly head: string,
    private readonly onDone: (connection: HttpConnection, request: Pending, status: number | string) => void,
  ) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      socket.once('connect', () => resolve());
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('close', () => this.onClose());
      socket.on('error', () => undefined);
      this.socket = socket;
    });
  }

  send(request: Pending): void {
    this.current = request;
    this.buffer = Buffer.alloc(0);
    this.socket!.write(
      `${request.head ?? this.head}${Buffer.byteLength(request.body)}\r\n\r\n${request.body}`,
    );
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0 || !this.current) return;
    const head = this.buffer.toString('latin1', 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let complete: boolean;
    if (length) complete = this.buffer.length >= headerEnd + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding:\s*chunked/i.test(head))
      complete = this.buffer.indexOf('\r\n0\r\n\r\n', headerEnd) >= 0;
    else complete = true;
    if (!complete) return;
    const request = this.current;
    this.current = undefined;
    this.buffer = Buffer.alloc(0);
    const mustClose = /\r\nconnection:\s*close/i.test(head);
    if (mustClose) this.reopen();
    this.onDone(this, request, status);
  }

  private onClose(): void {
    if (this.closed) return;
    const request = this.current;
    this.current = undefined;
    this.reopen();
    if (request) this.onDone(this, request, 'connection closed');
  }

  private reopen(): void {
    const old = this.socket;
    old?.removeAllListeners('close');
    old?.destroy();
    this.open().catch(() => setTimeout(() => this.reopen(), 100));
  }
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { rate, seconds } = options;
  const total = Math.floor(rate * seconds);
  const maxBacklog = Math.max(1, Math.floor(rate * (options.maxBacklogSeconds ?? 2)));
  const head = requestHead(
    options.method ?? 'POST',
    options.path,
    options.host,
    options.port,
    options.headers,
  );
  const expectStatus = options.expectStatus ?? 201;
  const latencies = new Float64Array(total);
  const errors: Record<string, number> = {};
  let completed = 0;
  let created = 0;
  let answeredInWindow = 0;
  const idle: HttpConnection[] = [];
  const queue: Pending[] = [];
  let queueHead = 0;
  let start = 0;
  let windowEnd = Infinity;
  const fail = (reason: string) => (errors[reason] = (errors[reason] ?? 0) + 1);

  const onDone = (connection: HttpConnection, request: Pending, status: number | string) => {
    const now = performance.now();
    if (now <= windowEnd) answeredInWindow += 1;
    latencies[completed++] = now - request.dueAt;
    if (status === expectStatus) {
      created += 1;
      options.created?.push(request.id);
    } else fail(typeof status === 'number' ? `HTTP ${status}` : status);
    if (queueHead < queue.length) {
      const next = queue[queueHead++];
      if (queueHead > 4096 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
      connection.send(next);
    } else idle.push(connection);
  };

  const connections = Array.from(
    { length: options.connections },
    () => new HttpConnection(options.host, options.port, head, onDone),
  );
  await Promise.all(connections.map((connection) => connection.open()));
  idle.push(...connections);

  const cpuBefore = process.cpuUsage();
  start = performance.now();
  windowEnd = start + seconds * 1000;
  let issued = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Requests 0 … due-1 are due by now: request i is due at start + i / rate, so request 0 at once (counting
      // floor(elapsed × rate) sent each request a whole interval late, 10 ms at 100 req/s, all of it in its latency).
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rate) + 1);
      while (issued < due) {
        const index = issued++;
        const { id, body, head: ownHead } = options.request(index);
        const request: Pending = { index, dueAt: start + (index / rate) * 1000, id, body, head: ownHead };
        const connection = idle.pop();
        if (connection) connection.send(request);
        else if (queue.length - queueHead < maxBacklog) queue.push(request);
        else fail('not sent: generator backlog full');
      }
      if (issued >= total) resolve();
      // Wake when the next request is due (timers fire at 1 ms granularity at best), not on a fixed 1 ms poll.
      else setTimeout(tick, Math.max(0, start + (issued / rate) * 1000 - performance.now()));
    };
    tick();
  });
  // Let the answers still in flight arrive (they count in the latencies, not in the achieved rate's window).
  const sentOrQueued = () => completed + (errors['not sent: generator backlog full'] ?? 0);
  const drainDeadline = performance.now() + 10_000;
  while (sentOrQueued() < total && performance.now() < drainDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - start;
  const unanswered = total - sentOrQueued();
  if (unanswered > 0) errors['no answer within 10 s'] = unanswered;
  connections.forEach((connection) => connection.close());

  const sorted = latencies.subarray(0, completed).sort();
  return {
    targetRate: rate,
    seconds,
    scheduled: total,
    completed,
    created,
    achievedRate: answeredInWindow / seconds,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
    errors,
    errorCount: Object.values(errors).reduce((sum, n) => sum + n, 0),
    generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
  };
}
