import { Client } from 'pg';
import { malformed, prng, storedState } from '../support/malformed-requests';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

const SEED = Number(process.env.FUZZ_SEED ?? 20251113);
const REQUESTS = 1000;

describe('1,000 malformed requests (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let database: Client;
  let token: Record<string, string>;
  let existing: string;

  async function state(): Promise<unknown> {
    await waitFor(
      async () => (await client.get('/v1/stats', ADMIN_TOKEN)).body.archiveLag === 0,
      'the archive',
    );
    return storedState(brain.environment.config, database);
  }

  beforeAll(async () => {
    brain = await startBrain('malformed', { agents: ['nova', 'dexter'] });
    ({ client, token } = brain);
    existing = (await client.post('/v1/messages', token.dexter, { targetAgent: 'nova', context: { n: 1 } }))
      .body.id;
    database = new Client({ connectionString: brain.environment.config.database.url });
    await database.connect();
  });

  afterAll(async () => {
    await database?.end();
    await brain?.close();
  });

  it(`answers each with a 4xx in the contract shape, never a 5xx, and creates no key and no row (seed ${SEED})`, async () => {
    const before = await state();
    const random = prng(SEED);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i += 1) {
      const request = malformed(random, { existing }, [ADMIN_TOKEN, ADMIN_TOKEN, token.nova]);
      const response = await client.request(request.method, request.path, request);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const shaped =
        response.body?.statusCode === response.status &&
        typeof response.body.error === 'string' &&
        typeof response.body.message === 'string';
      if (response.status < 400 || response.status >= 500 || !shaped) {
        const sent = request.rawBody ?? JSON.stringify(request.body)?.slice(0, 200);
        failures.push(
          `#${i} ${request.method} ${request.path.slice(0, 120)} ${sent} -> ${response.status} ${JSON.stringify(response.body)?.slice(0, 200)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    expect([...statuses.keys()].every((status) => status >= 400 && status < 500)).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(REQUESTS / 2);
    expect(await state()).toEqual(before);
    // Nothing was acknowledged, rotated or deleted along the way.
    expect(
      (await client.get('/v1/agents/nova/messages', token.nova)).body.items.map((m: { id: string }) => m.id),
    ).toEqual([existing]);
  });
});
