import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startTestApp } from '../support/test-app';
import { ADMIN_TOKEN } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

/**
 * Two replicas (or two workers of BRAIN_WORKERS) on one Redis: a token rotated or deleted on one stops working on
 * the other at once. Auth keeps nothing in the process: each request checks the token in Redis, in the same
 * script that counts the agent's rate limit.
 */
describe('auth across replicas (e2e)', () => {
  let brain: TestBrain;
  let first: BrainClient;
  let second: BrainClient;
  let secondApp: NestFastifyApplication;

  beforeAll(async () => {
    brain = await startBrain('authreplicas', { env: { BRAIN_RATE_LIMIT_PER_MINUTE: '5' } });
    first = brain.client;
    const started = await startTestApp(brain.environment.config);
    secondApp = started.app;
    second = new BrainClient(started.url);
  });

  afterAll(async () => {
    await secondApp?.close();
    await brain?.close();
  });

  it('refuses the old token on the other replica as soon as the rotation answered, in a loop', async () => {
    let token = await first.register(ADMIN_TOKEN, 'rotor');
    for (let round = 0; round < 20; round++) {
      const [rotating, replica] = round % 2 === 0 ? [first, second] : [second, first];
      const rotated = await rotating.post('/v1/agents/rotor/token', ADMIN_TOKEN);
      expect(rotated.status).toBe(200);
      expect((await replica.get('/v1/agents/rotor', token)).status).toBe(401);
      token = rotated.body.token;
      // Under the limit of 5 per minute: each round uses the new token once (the old one is never counted).
      if (round < 4) expect((await replica.get('/v1/agents/rotor', token)).status).toBe(200);
    }
  });

  it('after a delete on one replica, the token works on none', async () => {
    const token = await first.register(ADMIN_TOKEN, 'doomed');
    expect((await second.get('/v1/agents/doomed', token)).status).toBe(200);
    expect((await first.delete('/v1/agents/doomed', ADMIN_TOKEN)).status).toBe(204);
    expect((await second.get('/v1/agents/doomed', token)).status).toBe(401);
    expect((await first.get('/v1/agents/doomed', token)).status).toBe(401);
  });

  it('counts one rate limit for both replicas, with the headers and the 429 of the throttler', async () => {
    const token = await first.register(ADMIN_TOKEN, 'busy');
    const answers = [];
    for (let i = 0; i < 6; i++)
      answers.push(await (i % 2 === 0 ? first : second).get('/v1/agents/busy', token));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[4].headers.get('x-ratelimit-limit')).toBe('5');
    expect(answers[4].headers.get('x-ratelimit-remaining')).toBe('0');
    expect(answers[5].status).toBe(429);
    expect(answers[5].headers.get('retry-after')).toMatch(/^\d+$/);
    expect(answers[5].body.message).toMatch(/^agent 'busy' exceeded its limit of 5 requests per minute/);
  });
});
