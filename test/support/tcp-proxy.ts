import { createServer, Server, Socket } from 'node:net';

/**
 * How a cut looks to the app:
 * - `refuse`: every open connection is reset and new ones are refused, as when the server process is gone.
 * - `blackhole`: open connections go silent (bytes are dropped) and new ones are accepted but never answered, as in a
 *   network partition; the app only finds out through its own timeouts.
 */
export type CutMode = 'refuse' | 'blackhole';

export interface TcpProxyOptions {
  /** Default: a free port. The proxy keeps its port across cut() and restore(). */
  port?: number;
  /** Added to every chunk in each direction, in ms. Default 0. */
  latencyMs?: number;
}

/**
 * A TCP proxy in front of Redis or Postgres for fault injection: point the app at `proxy.port`, then cut(),
 * restore() or setLatency() while it runs. Bytes keep their order whatever the latency.
 *
 *   const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
 *   env.DATABASE_URL = proxy.rewrite(env.DATABASE_URL);
 */
export class TcpProxy {
  private server?: Server;
  private readonly connections = new Set<Socket>();
  private mode: 'open' | CutMode = 'open';
  private latency: number;
  private accepted = 0;

  private constructor(
    readonly target: { host: string; port: number },
    private listenPort: number,
    options: TcpProxyOptions,
  ) {
    this.latency = options.latencyMs ?? 0;
  }

  static async start(
    target: { host: string; port: number },
    options: TcpProxyOptions = {},
  ): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, options.port ?? 0, options);
    await proxy.listen();
    return proxy;
  }

  /** A proxy for the host:port of a redis:// or postgres:// URL. */
  static forUrl(url: string, options: TcpProxyOptions = {}): Promise<TcpProxy> {
    const { hostname, port } = new URL(url);
    const defaultPort = url.startsWith('postgres') ? 5432 : 6379;
    return TcpProxy.start({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) }, options);
  }

  get port(): number {
    return this.listenPort;
  }

  /** Connections accepted since start (a reconnecting client shows up here). */
  get acceptedConnections(): number {
    return this.accepted;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** The same URL with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const rewritten = new URL(url);
    rewritten.hostname = '127.0.0.1';
    rewritten.port = String(this.port);
    return rewritten.toString();
  }

  setLatency(ms: number): void {
    this.latency = ms;
  }

  async cut(mode: CutMode = 'refuse'): Promise<void> {
    this.mode = mode;
    if (mode === 'refuse') {
      this.destroyConnections();
      await this.closeServer();
    }
    // blackhole: relays check `mode` for every chunk and drop it; new connections are parked (see accept).
  }

  /** Back to forwarding. Connections that lived through a blackhole are reset: their streams lost bytes. */
  async restore(): Promise<void> {
    const wasBlackhole = this.mode === 'blackhole';
    this.mode = 'open';
    if (wasBlackhole) this.destroyConnections();
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    this.mode = 'refuse';
    this.destroyConnections();
    await this.closeServer();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        this.listenPort = (server.address() as { port: number }).port;
        this.server = server;
        resolve();
      });
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private destroyConnections(): void {
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
  }

  private track(socket: Socket): void {
    this.connections.add(socket);
    socket.once('close', () => this.connections.delete(socket));
  }

  private accept(client: Socket): void {
    this.accepted++;
    this.track(client);
    client.on('error', () => client.destroy());
    if (this.mode !== 'open') {
      // Accepted but never answered; the bytes the client sends are dropped.
      client.resume();
      return;
    }
    const upstream = new Socket();
    this.track(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', closeBoth);
    client.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    this.relay(client, upstream);
    this.relay(upstream, client);
    upstream.connect(this.target.port, this.target.host);
  }

  /** Copies `from` to `to`, each chunk delayed by the current latency, in order, honouring back-pressure. */
  private relay(from: Socket, to: Socket): void {
    const queue: { due: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const write = (chunk: Buffer) => {
      if (to.destroyed) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    };
    const flush = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length > 0 && queue[0].due <= now) write(queue.shift()!.chunk);
      if (queue.length > 0) timer = setTimeout(flush, queue[0].due - now);
      else if (ended) to.end();
    };
    from.on('data', (chunk: Buffer) => {
      if (this.mode === 'blackhole') return;
      if (this.latency === 0 && queue.length === 0) return write(chunk);
      queue.push({ due: Date.now() + this.latency, chunk });
      timer ??= setTimeout(flush, this.latency);
    });
    from.on('end', () => {
      ended = true;
      if (queue.length === 0 && !timer) to.end();
    });
    from.on('close', () => clearTimeout(timer));
  }
}
