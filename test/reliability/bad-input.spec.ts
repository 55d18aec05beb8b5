import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AppProcess } from '../support/app-process';
import { probeLive } from '../support/health-probe';
import { httpRequest, printFigures, startLoad, summarize } from '../support/load-generator';
import {
  describeMalformed,
  Endpoint,
  ENDPOINTS,
  malformed,
  prng,
  sendMalformed,
  storedState,
} from '../support/malformed-requests';
import { archivedIds, publish, registerAgents } from '../support/message-ledger';
import { ADMIN_TOKEN, newTestEnvironment, TestEnvironment, waitFor } from '../support/test-environment';

const SEED = Number(process.env.FUZZ_SEED ?? 20251114);
const REQUESTS = 5000;

/** Besides the e2e fuzz's routes: the agent list, clearing everything, and bodies of the wrong content type. */
const MORE_ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/v1/agents' },
  {
    method: 'DELETE',
    path: '/v1/data',
    badHeaders: [{}, { 'x-confirm': 'yes' }, { 'x-confirm': 'clear' }, { 'x-confirm': 'all' }],
  },
  {
    method: 'POST',
    path: '/v1/messages',
    body: { targetAgent: 'dexter', context: { a: 1 }, id: 'NEW_ID', sourceAgent: 'nova' },
    badHeaders: [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'multipart/form-data; boundary=x' },
    ],
  },
];

/**
 * Issue 7, "Bad input": a seeded fuzz of 5,000 malformed requests across all routes (bad path ids, fields, queries,
 * bodies, headers, tokens), four at a time, against the app as a process with rate limiting off (so a 429 hides
 * nothing). Every answer is a 4xx in the contract's shape, the process stays up, and no Redis key or row appears.
 */
describe('reliability: 5,000 malformed requests', () => {
  let environment: TestEnvironment;
  let app: AppProcess;
  let database: Client;
  let token: Record<string, string>;
  let existing: string;

  beforeAll(async () => {
    environment = newTestEnvironment('rbadinput', {
      BRAIN_RATE_LIMIT_PER_MINUTE: '0',
      BRAIN_AUTH_FAILURES_PER_MINUTE: '0',
    });
    app = await AppProcess.start({ env: environment.env });
    token = await registerAgents(app.url, ['nova', 'dexter']);
    const sent = await publish(app.url, {
      token: token.dexter,
      from: 'dexter',
      to: 'nova',
      id: randomUUID(),
    });
    existing = (sent.body as { id: string }).id;
    database = new Client({ connectionString: environment.config.database.url });
    await database.connect();
  });

  afterAll(async () => {
    await database?.end();
    await app?.kill();
    await environment?.dispose();
  });

  it(`answers each with a 4xx, never a 5xx, stays up, and creates no key and no row (seed ${SEED})`, async () => {
    // The one message is archived first, so the archive does not change the state under the fuzz.
    await waitFor(
      async () => (await archivedIds(environment.config.database.url, 'nova')).includes(existing),
      'the archive',
    );
    const before = await storedState(environment.config, database);
    const pid = app.pid;

    const random = prng(SEED);
    const tokens = [ADMIN_TOKEN, ADMIN_TOKEN, token.nova, token.nova, 'not-a-token'];
    const sent: string[] = [];
    const results = await startLoad({
      concurrency: 4,
      maxRequests: REQUESTS,
      // Requests are drawn in `seq` order, so a failure is reproducible from the seed.
      send: (seq) => {
        const request = malformed(random, { existing }, tokens, [...ENDPOINTS, ...MORE_ENDPOINTS]);
        sent[seq] = describeMalformed(request);
        return sendMalformed(app.url, request);
      },
    }).finished;

    const shaped = (body: unknown, status: number) => {
      const b = body as { statusCode?: unknown; error?: unknown; message?: unknown } | undefined;
      return b?.statusCode === status && typeof b.error === 'string' && typeof b.message === 'string';
    };
    const failures = results
      .filter((r) => r.status === undefined || r.status < 400 || r.status >= 500 || !shaped(r.body, r.status))
      .map(
        (r) => `#${r.seq} ${sent[r.seq]} -> ${r.status ?? r.error} ${JSON.stringify(r.body)?.slice(0, 200)}`,
      );
    const live = await probeLive(app.url);
    const after = await storedState(environment.config, database);
    const inbox = await httpRequest<{ items: { id: string }[] }>(app.url, 'GET', '/v1/agents/nova/messages', {
      token: token.nova,
    });

    const figures = summarize(results);
    printFigures('bad input', {
      seed: SEED,
      ...figures,
      responses5xx: results.filter((r) => (r.status ?? 0) >= 500).length,
      failures: failures.length,
      stateUnchanged: JSON.stringify(after) === JSON.stringify(before),
    });

    expect(failures).toEqual([]);
    expect(
      Object.keys(figures.byStatus).every((status) => Number(status) >= 400 && Number(status) < 500),
    ).toBe(true);
    expect(figures.byStatus[400]).toBeGreaterThan(REQUESTS / 2);
    expect(app.pid).toBe(pid);
    expect(live.status).toBe(200);
    expect(after).toEqual(before);
    // Nothing was acknowledged, rotated or deleted along the way.
    expect(inbox.body?.items.map((m) => m.id)).toEqual([existing]);
  });
});
