import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ManagedChild } from '../support/child-processes';
import { freePort } from '../support/ports';
import { newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

const ROOT = resolve(__dirname, '../..');

/** Whether any process of the process group `pgid` is still alive (signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Issue 11: `npm start` as an operator (or a process manager) runs it, then SIGTERM to the pid it knows, npm's.
 * The signal must reach node: the port is freed and no process of the group is left serving it.
 * It builds a copy of the project in a temporary directory, so it never replaces the dist/ other suites may run.
 */
describe('reliability: SIGTERM to `npm start`', () => {
  jest.setTimeout(240000);

  let environment: TestEnvironment;
  let workdir: string;
  let npm: ManagedChild | undefined;
  let output = '';

  beforeAll(() => {
    environment = newTestEnvironment('rnpmstart');
    workdir = mkdtempSync(join(tmpdir(), 'brain-npm-start-'));
    for (const entry of [
      'src',
      'migrations',
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
    ])
      cpSync(join(ROOT, entry), join(workdir, entry), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(workdir, 'node_modules'), 'dir');
  });

  afterAll(async () => {
    // Whatever the outcome, nothing this test started outlives it (its own process group only).
    if (npm?.pid && groupAlive(npm.pid)) process.kill(-npm.pid, 'SIGKILL');
    rmSync(workdir, { recursive: true, force: true });
    await environment?.dispose();
  });

  it('stops node, not only npm, and frees the port', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    npm = new ManagedChild(
      'npm',
      ['start'],
      {
        cwd: workdir,
        // Its own process group, so the check below (and the clean-up) sees npm, the shell and node together.
        detached: true,
        env: { ...process.env, ...environment.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      },
      (text) => (output += text),
    );
    const started = npm;
    await waitFor(
      async () => (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) })).status === 200,
      `npm start to serve ${url} (output so far: ${output.slice(-2000)})`,
      180000,
      250,
    );
    expect(output).not.toMatch(/FSTWRN|FastifyWarning/);

    started.send('SIGTERM');
    await started.exited;
    await waitFor(
      async () => {
        try {
          await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1000) });
          return false;
        } catch {
          return true; // connection refused: nothing listens any more
        }
      },
      'the port to be freed after SIGTERM to npm',
      15000,
      100,
    );
    await waitFor(
      () => !groupAlive(started.pid as number),
      'every process of `npm start` to exit',
      15000,
      100,
    );
    expect(output).toContain('Shutting down on SIGTERM');
  });
});
