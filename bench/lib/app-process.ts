import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { treeCpu } from './process-cpu';
import { pollUntil } from './stats';

const ROOT = join(__dirname, '..', '..');
/** The app is compiled here, not into dist/: a benchmark must not disturb a shared build directory. */
export const BUILD_DIR = join(ROOT, '.tmp', 'bench-dist');

/** Compiles the current tree (tsc, as `nest build` does) and copies the Lua scripts next to it. */
export function buildApp(): void {
  if (process.env.BENCH_NO_BUILD === '1' && existsSync(join(BUILD_DIR, 'src', 'main.js'))) return;
  rmSync(BUILD_DIR, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR],
    { cwd: ROOT, stdio: 'inherit' },
  );
  const copyLua = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) copyLua(path);
      else if (entry.name.endsWith('.lua')) cpSync(path, join(BUILD_DIR, relative(ROOT, path)));
    }
  };
  copyLua(join(ROOT, 'src'));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  url: string;
  host: string;
  port: number;
  pid: number;
  /** CPU seconds (user + system) the process and its descendants have used so far. */
  cpuSeconds(): number;
  /** Starts the CPU profiler in the app (only when started with `cpuProfile`). */
  startProfile(): Promise<void>;
  /** Stops the app; when profiling, the profile is written first. */
  stop(): Promise<void>;
}

/**
 * Starts the built app as its own process, as production runs it (NODE_ENV=production, default log level, logs to
 * /dev/null): the load generator then competes with it for the cores the way a co-located client would, and the
 * app's CPU time can be read apart from the generator's.
 */
export async function startApp(
  env: Record<string, string>,
  options: { cpuProfile?: string } = {},
): Promise<AppProcess> {
  const port = await freePort();
  const args = [
    ...(options.cpuProfile ? ['-r', join(__dirname, 'profile-on-signal.js')] : []),
    join(BUILD_DIR, 'src', 'main.js'),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      ...env,
      // The profiler's signal reaches the process started here: profile one process that serves, not a primary.
      ...(options.cpuProfile ? { BENCH_CPU_PROFILE: options.cpuProfile, BRAIN_WORKERS: '1' } : {}),
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      stderr += `\n[exit code ${code}, signal ${signal}]`;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const ready = await pollUntil(
    async () => {
      if (exited) return true;
      try {
        return (await fetch(`${url}/health/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    60_000,
    200,
  );
  if (exited || !ready) {
    child.kill('SIGKILL');
    throw new Error(`the app did not become ready: ${stderr || '(no output)'}`);
  }
  const pid = child.pid!;
  return {
    url,
    host: '127.0.0.1',
    port,
    pid,
    cpuSeconds: () => {
      if (exited) throw new Error(`the app exited: ${stderr || '(no output)'}`);
      // The whole process tree: worker processes, if the app forks any, are part of what a request costs.
      return treeCpu(pid).seconds;
    },
    startProfile: async () => {
      child.kill('SIGWINCH');
      await new Promise((resolve) => setTimeout(resolve, 300));
    },
    stop: async () => {
      if (exited) return;
      child.kill(options.cpuProfile ? 'SIGWINCH' : 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** A JSON call to the app (setup and stats, not measured). */
export async function callApp<T>(
  app: { url: string },
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
