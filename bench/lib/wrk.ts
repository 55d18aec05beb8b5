import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface SaturationResult {
  generator: string;
  requestsPerSecond: number;
  requests: number;
  seconds: number;
  /** Answers outside 2xx/3xx plus socket errors and timeouts. */
  errors: number;
  non2xx: number;
  /** connect, read, write, timeout (wrk's timeout: 2 s without an answer). */
  socketErrors: number;
  p50Ms: number;
  p99Ms: number;
}

function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version prints its banner and exits 1; only a missing binary is "not available".
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Which closed-loop generator saturates the servers: wrk when installed, else autocannon (said in the report). */
export const SATURATION_GENERATOR = wrkAvailable()
  ? 'wrk'
  : 'autocannon (wrk is not installed: apt-get install -y wrk)';

const luaString = (text: string) => `[==[${text}]==]`;

/** A wrk script cycling over pre-formatted requests, so the generator spends nothing per request on building them. */
function wrkScript(url: string, requests: LoadRequest[]): string {
  // wrk.format at load time knows no Host yet (wrk sets it later): name it, or every request is a 400.
  const host = new URL(url).host;
  const formatted = requests.map((r) => {
    const headers = Object.entries({ ...r.headers, Host: host, 'Content-Type': 'application/json' })
      .map(([name, value]) => `[ ${luaString(name)} ] = ${luaString(value)}`) // "[[" would open a Lua long string
      .join(', ');
    return `  wrk.format(${luaString(r.method)}, ${luaString(r.path)}, { ${headers} }, ${r.body === undefined ? 'nil' : luaString(r.body)}),`;
  });
  return `local requests = {\n${formatted.join('\n')}\n}\nlocal n = 0\nrequest = function()\n  n = n % #requests + 1\n  return requests[n]\nend\n`;
}

function milliseconds(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!match) return NaN;
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2]] ?? NaN;
  return Number(match[1]) * factor;
}

export function parseWrk(output: string): Omit<SaturationResult, 'generator'> {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? NaN);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const requestsLine = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(output);
  if (!requestsLine) throw new Error(`could not read wrk's output:\n${output}`);
  return {
    requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
    requests: Number(requestsLine[1]),
    seconds: milliseconds(`${requestsLine[2]}${requestsLine[3]}`) / 1000,
    errors: non2xx + socketErrors,
    non2xx,
    socketErrors,
    p50Ms: milliseconds(/\s50%\s+(\S+)/.exec(output)?.[1] ?? ''),
    p99Ms: milliseconds(/\s99%\s+(\S+)/.exec(output)?.[1] ?? ''),
  };
}

/**
 * Closed-loop saturation of `url` with `connections` keep-alive connections for `seconds`, cycling over `requests`.
 * wrk runs with one thread: one core of wrk outruns both servers here, and the second core stays with the server.
 */
export async function saturate(
  url: string,
  requests: LoadRequest[],
  connections: number,
  seconds: number,
): Promise<SaturationResult> {
  if (SATURATION_GENERATOR !== 'wrk') {
    // autocannon ships no types: only the fields read here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const autocannon = require('autocannon') as (options: object) => Promise<{
      requests: { total: number };
      duration: number;
      non2xx: number;
      errors: number;
      timeouts: number;
      latency: { p50: number; p99: number };
    }>;
    const result = await autocannon({
      url,
      connections,
      duration: seconds,
      requests: requests.map((r) => ({
        ...r,
        headers: { ...r.headers, 'content-type': 'application/json' },
      })),
    });
    return {
      generator: SATURATION_GENERATOR,
      requestsPerSecond: result.requests.total / (result.duration || seconds),
      requests: result.requests.total,
      seconds: result.duration || seconds,
      errors: result.non2xx + result.errors + result.timeouts,
      non2xx: result.non2xx,
      socketErrors: result.errors + result.timeouts,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  const script = join(dir, 'requests.lua');
  writeFileSync(script, wrkScript(url, requests));
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url];
      const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`)),
      );
    });
    return { generator: 'wrk', ...parseWrk(output) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
