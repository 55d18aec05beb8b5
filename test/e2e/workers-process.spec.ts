import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { AppProcess, ExitInfo } from '../support/app-process';
import { ADMIN_TOKEN, newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

/** Issue 13 goal 3: BRAIN_WORKERS > 1 runs a primary that forks full replicas sharing the port (node:cluster). */
describe('BRAIN_WORKERS=2: a primary and two workers (e2e)', () => {
  jest.setTimeout(240000);
  let environment: TestEnvironment;
  let app: AppProcess;

  beforeAll(async () => {
    environment = newTestEnvironment('workers');
    app = await AppProcess.start({
      env: { ...environment.env, BRAIN_WORKERS: '2' },
      // Each worker compiles the TypeScript on its own (ts-node), on a shared machine.
      startTimeoutMs: 180000,
    });
  });

  afterAll(async () => {
    await app?.kill();
    await environment?.dispose();
  });

  const workerPids = (): number[] => {
    const pid = app.pid!;
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .sort();
  };

  /** One request on its own connection: node:cluster hands out connections, not requests. */
  const listAgents = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const call = request(
        `${app.url}/v1/agents`,
        { agent: false, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      call.setTimeout(10000, () => call.destroy(new Error('no answer within 10 s')));
      call.on('error', reject);
      call.end();
    });

  /** The pids that logged an answer to GET /v1/agents (each worker logs its requests with its own pid). */
  const servingPids = (): Set<number> => {
    const pids = new Set<number>();
    for (const line of app.output.split('\n')) {
      if (!line.startsWith('{') || !line.endsWith('}')) continue;
      const entry = JSON.parse(line) as { pid?: number; req?: { url?: string }; res?: unknown };
      if (entry.req?.url === '/v1/agents' && entry.res && entry.pid) pids.add(entry.pid);
    }
    return pids;
  };

  const servedByAll = async (pids: number[]) =>
    waitFor(
      async () => {
        expect(await listAgents()).toBe(200);
        const serving = servingPids();
        return pids.every((pid) => serving.has(pid));
      },
      `requests answered by each of the workers ${pids.join(', ')}`,
      60000,
      50,
    );

  it('serves requests from two worker processes, the primary serving none', async () => {
    const pids = await waitFor(() => workerPids().length === 2 && workerPids(), 'two workers', 60000, 100);
    await servedByAll(pids);
    expect(servingPids().has(app.pid!)).toBe(false);
    expect(app.output).toMatch(/2 workers serving \(pids \d+, \d+\)/);
  });

  it('forks a worker again when one dies, and the other serves meanwhile', async () => {
    const [victim, survivor] = workerPids();
    process.kill(victim, 'SIGKILL');
    await waitFor(
      () => app.output.includes(`(pid ${victim}) died unexpectedly (signal SIGKILL)`),
      'the death',
    );
    // The replacement takes seconds to start: the survivor answers meanwhile.
    expect(await listAgents()).toBe(200);
    const replaced = await waitFor(
      () => {
        const now = workerPids();
        return now.length === 2 && !now.includes(victim) && now.includes(survivor) && now;
      },
      'a new worker in place of the killed one',
      60000,
      100,
    );
    await servedByAll(replaced);
  });

  it('on SIGTERM stops every worker, exits with code 0 and frees the port', async () => {
    const pids = workerPids();
    app.send('SIGTERM');
    const exit: ExitInfo = await app.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    // Each worker shut down as a single process does (readiness 503 first, then its hooks).
    expect(app.output.match(/Shutting down on SIGTERM: readiness is now 503/g)?.length).toBe(2);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    const refused = await new Promise<string>((resolve) => {
      const socket = createConnection(app.port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('BRAIN_WORKERS=2 when the workers cannot start (e2e)', () => {
  jest.setTimeout(240000);

  it('stops at once with exit code 1 instead of forking them again and again', async () => {
    const environment = newTestEnvironment('workersfail');
    // The port is taken: every worker fails its first start (EADDRINUSE).
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const app = AppProcess.spawn({ env: { ...environment.env, BRAIN_WORKERS: '2' }, port });
      const exit = await app.exited;
      expect(exit.code).toBe(1);
      expect(app.output).toMatch(/worker \d \(pid \d+\) failed to start \(code 1\); stopping/);
      expect(app.output).not.toContain('died unexpectedly');
    } finally {
      blocker.close();
      await environment.dispose();
    }
  });
});
