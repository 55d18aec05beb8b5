import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedChild } from './child-processes';
import { freePort } from './ports';
import { waitFor } from './test-environment';

export interface RedisServerOptions {
  /** Default: a free port. A restart always reuses the port of the first start. */
  port?: number;
  /** AOF on (`appendonly yes`); default off. */
  appendonly?: boolean;
  /** With AOF: `always` makes every acknowledged write survive a crash (reliability tests). Default `everysec`. */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Default `noeviction`, as Brain requires. */
  maxmemoryPolicy?: string;
  /** Anything else, e.g. ['--maxmemory', '50mb']. */
  args?: string[];
  /** How long start() waits for PONG (a large AOF loads for a while). Default 10 s. */
  startTimeoutMs?: number;
}

/**
 * A redis-server that a test owns: started on a free port in its own temp directory, stopped (SHUTDOWN, as an
 * operator would), killed (SIGKILL, a crash), started again on the same port with the same data directory.
 * Needs `redis-server` on the PATH (BRAIN_TEST_REDIS_SERVER overrides the binary).
 */
export class RedisServer {
  private child?: ManagedChild;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'brain-test-redis-'));
    // A port picked by freePort() can be taken before redis binds it; then try another.
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(options.port ?? (await freePort()), dir, options);
      try {
        await server.start();
        return server;
      } catch (error) {
        await server.kill();
        if (options.port !== undefined || attempt >= 3) {
          rmSync(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** Everything redis-server printed (for failure messages). */
  get log(): string {
    return this.output;
  }

  /** Starts (again) on the same port and directory; resolves once it answers PING (after loading its AOF). */
  async start(): Promise<void> {
    if (this.running) return;
    const {
      appendonly = false,
      appendfsync = 'everysec',
      maxmemoryPolicy = 'noeviction',
      args = [],
    } = this.options;
    const binary = process.env.BRAIN_TEST_REDIS_SERVER ?? 'redis-server';
    const settings = {
      port: String(this.port),
      bind: '127.0.0.1',
      dir: this.dir,
      save: '',
      appendonly: appendonly ? 'yes' : 'no',
      appendfsync,
      'maxmemory-policy': maxmemoryPolicy,
    };
    const argv = [...Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]), ...args];
    this.child = new ManagedChild(binary, argv, {}, (text) => {
      this.output += text;
    });
    const outcome = await waitFor(
      async () => {
        if (!this.running) return 'exited';
        return (await ping(this.port)) === '+PONG' && 'up';
      },
      `redis-server on port ${this.port} to answer PING`,
      this.options.startTimeoutMs ?? 10000,
    ).catch((error: Error) => error.message);
    if (outcome !== 'up') {
      throw new Error(
        `${outcome === 'exited' ? 'redis-server exited' : outcome}\n${this.output.slice(-2000)}`,
      );
    }
  }

  /** A clean stop, as an operator's `redis-cli shutdown` would do (AOF flushed); resolves once the process is gone. */
  async stop(): Promise<void> {
    await this.child?.stop('SIGTERM', 10000);
  }

  /** A crash: SIGKILL, nothing flushed beyond what appendfsync already wrote. */
  async kill(): Promise<void> {
    await this.child?.stop('SIGKILL', 5000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Kills the server if it still runs and removes its directory. Safe to call twice. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One PING over a raw socket: '+PONG', an error reply such as '-LOADING ...', or undefined if nothing answers. */
function ping(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (value: string | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.split('\r\n')[0]);
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}
