import { resolve } from 'node:path';
import { ExitInfo, ManagedChild } from './child-processes';
import { freePort } from './ports';
import { waitFor } from './test-environment';

const ROOT = resolve(__dirname, '../..');

export type { ExitInfo } from './child-processes';

export interface AppProcessOptions {
  /** The suite's environment (newTestEnvironment(...).env plus overrides); PORT and HOST default to the app's. */
  env: Record<string, string>;
  /** Default: a free port. A restart reuses the port of the first start. */
  port?: number;
  /** What start() waits for: `ready` (200 from /health/ready), `live` (200 from /health/live) or `none`. */
  waitFor?: 'ready' | 'live' | 'none';
  /** Default 30 s. */
  startTimeoutMs?: number;
  /** LOG_LEVEL of the process (its output is kept, not printed); default info, whatever `env` says. */
  logLevel?: string;
}

/**
 * The real app as a child process (`src/main.ts` through ts-node, or the build when BRAIN_TEST_APP_ENTRY names it,
 * e.g. dist/src/main.js), for what an in-process app cannot show: signals, crashes, exit codes, start-up failures.
 *
 *   const app = await AppProcess.start({ env: environment.env });
 *   await fetch(`${app.url}/health/ready`);
 *   await app.kill();          // SIGKILL: a crash
 *   await app.restart();       // same port, same env
 *   const exit = await app.stop(); // SIGTERM, waits for the exit
 *
 * stdout and stderr are kept in `output` (pino JSON lines, at LOG_LEVEL info unless options.logLevel says otherwise).
 */
export class AppProcess {
  private child?: ManagedChild;
  private lines = '';

  private constructor(
    readonly port: number,
    private readonly options: AppProcessOptions,
  ) {}

  /** Spawns the app and waits until it answers (see options.waitFor). Throws with its output if it exits first. */
  static async start(options: AppProcessOptions): Promise<AppProcess> {
    const app = new AppProcess(options.port ?? (await freePort()), options);
    await app.start();
    return app;
  }

  /** Spawns the app without waiting; `exited` resolves when it ends. For start-up failures (a bad setting). */
  static spawn(options: AppProcessOptions): AppProcess {
    const app = new AppProcess(options.port ?? 0, options);
    app.launch();
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** Everything the process printed so far, stdout and stderr interleaved. */
  get output(): string {
    return this.lines;
  }

  /** Resolves when the current process exits. */
  get exited(): Promise<ExitInfo> {
    if (!this.child) throw new Error('the app was never started');
    return this.child.exited;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.launch();
    const probe = this.options.waitFor ?? 'ready';
    if (probe === 'none') return;
    const outcome = await waitFor(
      async () => {
        if (!this.running) return 'exited';
        const response = await fetch(`${this.url}/health/${probe}`, { signal: AbortSignal.timeout(2000) });
        return response.status === 200 && 'up';
      },
      `the app on port ${this.port} to answer 200 on /health/${probe}`,
      this.options.startTimeoutMs ?? 30000,
      100,
    ).catch(async (error: Error) => {
      await this.kill();
      return error.message;
    });
    if (outcome !== 'up') {
      const why =
        outcome === 'exited'
          ? `the app exited during start-up (${JSON.stringify(await this.exited)})`
          : outcome;
      throw new Error(`${why}\n--- app output ---\n${this.lines.slice(-4000)}`);
    }
  }

  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`, reported by a `signal` of SIGKILL). */
  async stop(timeoutMs = 15000): Promise<ExitInfo> {
    return this.child ? this.child.stop('SIGTERM', timeoutMs) : notStarted();
  }

  /** SIGKILL: a crash, nothing runs on the way out. */
  async kill(): Promise<ExitInfo> {
    return this.child ? this.child.stop('SIGKILL', 5000) : notStarted();
  }

  /** Stops (SIGTERM) if running, then starts again on the same port with the same env. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Sends a signal without waiting (e.g. SIGTERM while requests run); await `exited` afterwards. */
  send(signal: NodeJS.Signals): void {
    this.child?.send(signal);
  }

  private launch(): void {
    const entry = process.env.BRAIN_TEST_APP_ENTRY;
    const args = entry ? [entry] : ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
    const env = {
      ...process.env,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      // One process, as each suite's assertions (output, pid, signals) expect; a suite about workers sets it.
      BRAIN_WORKERS: '1',
      // After PORT, so that a test can pass a bad one on purpose.
      ...this.options.env,
      LOG_LEVEL: this.options.logLevel ?? 'info',
    };
    this.child = new ManagedChild(process.execPath, args, { cwd: ROOT, env }, (text) => {
      this.lines += text;
    });
  }
}

const notStarted = (): Promise<ExitInfo> => Promise.resolve({ code: null, signal: null, at: Date.now() });
