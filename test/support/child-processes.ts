import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process was seen to exit. */
  at: number;
}

/**
 * Children a test started and has not stopped yet. If the test process dies first (a crash, a Jest timeout that
 * skips afterAll), they are killed on the way out, so no app or redis-server outlives the run holding its port.
 */
const live = new Set<ChildProcess>();
let hooked = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const orphan of live) orphan.kill('SIGKILL');
  });
}

/** A spawned process whose output is collected and whose exit can be awaited; the base of the test servers. */
export class ManagedChild {
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private ended = false;

  constructor(command: string, args: string[], options: SpawnOptions, onOutput: (text: string) => void) {
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    track(this.child);
    const collect = (chunk: Buffer) => onOutput(chunk.toString());
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      const end = (code: number | null, signal: NodeJS.Signals | null) => {
        this.ended = true;
        resolve({ code, signal, at: Date.now() });
      };
      this.child.once('exit', end);
      this.child.once('error', (error) => {
        onOutput(`\n${error.message}\n`);
        end(null, null);
      });
    });
  }

  get running(): boolean {
    return !this.ended;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a signal without waiting. */
  send(signal: NodeJS.Signals): void {
    if (!this.ended) this.child.kill(signal);
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `killAfterMs` if it is still there. */
  async stop(signal: NodeJS.Signals, killAfterMs: number): Promise<ExitInfo> {
    this.send(signal);
    const timer = setTimeout(() => this.send('SIGKILL'), killAfterMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
