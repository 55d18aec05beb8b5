import { ADMIN_TOKEN } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

describe('agents API (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;

  beforeAll(async () => {
    brain = await startBrain('agents');
    client = brain.client;
  });

  afterAll(() => brain?.close());

  it('registers an agent: 201 with the Agent and a token shown once', async () => {
    const response = await client.post('/v1/agents', ADMIN_TOKEN, {
      id: 'nova',
      name: 'Nova',
      description: 'Sales analyst',
      capabilities: ['sales'],
      metadata: { team: 'revenue' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: 'nova',
      name: 'Nova',
      description: 'Sales analyst',
      capabilities: ['sales'],
      metadata: { team: 'revenue' },
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
      lastSeenAt: null,
      token: expect.stringMatching(/^nova\.[A-Za-z0-9_-]{40,}$/),
    });
    const agent = await client.get('/v1/agents/nova', response.body.token);
    expect(agent.status).toBe(200);
    expect(agent.body).not.toHaveProperty('token');
    expect(agent.body).not.toHaveProperty('tokenHash');
  });

  it('registers with only an id; optional fields come back empty', async () => {
    const response = await client.post('/v1/agents', ADMIN_TOKEN, { id: 'minimal' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: 'minimal',
      name: null,
      description: null,
      capabilities: [],
      metadata: {},
    });
  });

  it('answers 409 for an id that exists', async () => {
    await client.register(ADMIN_TOKEN, 'dup');
    const again = await client.post('/v1/agents', ADMIN_TOKEN, { id: 'dup' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ statusCode: 409, error: 'Conflict', message: "agent 'dup' already exists" });
  });

  it('lets only the admin register agents', async () => {
    const token = await client.register(ADMIN_TOKEN, 'plain');
    const response = await client.post('/v1/agents', token, { id: 'sneaky' });
    expect(response.status).toBe(403);
    expect((await client.get('/v1/agents/sneaky', ADMIN_TOKEN)).status).toBe(404);
  });

  it('rejects bad ids and the reserved id before touching anything', async () => {
    for (const id of ['broadcast', 'Nova', '-x', 'a'.repeat(65), 'a:b', '*', '{x}', '', 42, null]) {
      const response = await client.post('/v1/agents', ADMIN_TOKEN, { id });
      expect(response.status).toBe(400);
      expect(response.body.message).toContain('id must match');
    }
    const unknownField = await client.post('/v1/agents', ADMIN_TOKEN, { id: 'ok-id', colour: 'red' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.message).toBe('property colour should not exist');
    const arrayMetadata = await client.post('/v1/agents', ADMIN_TOKEN, { id: 'ok-id', metadata: [1] });
    expect(arrayMetadata.status).toBe(400);
    expect(arrayMetadata.body.message).toBe('metadata must be a JSON object');
  });

  it('lists agents for any caller', async () => {
    const token = await client.register(ADMIN_TOKEN, 'lister');
    const response = await client.get('/v1/agents', token);
    expect(response.status).toBe(200);
    expect(response.body.nextCursor).toBeNull();
    expect(response.body.items.map((agent: { id: string }) => agent.id)).toEqual(
      expect.arrayContaining(['nova', 'lister']),
    );
  });

  it('answers 404 for an unknown agent and 400 for a malformed id', async () => {
    const missing = await client.get('/v1/agents/zed', ADMIN_TOKEN);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: "agent 'zed' is not registered",
    });
    const malformed = await client.get('/v1/agents/Not_Valid!', ADMIN_TOKEN);
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toContain('id must match');
  });

  it('rotates a token: the new one works, the old one stops at once', async () => {
    const old = await client.register(ADMIN_TOKEN, 'rotor');
    expect((await client.get('/v1/agents/rotor', old)).status).toBe(200);
    const rotated = await client.post('/v1/agents/rotor/token', ADMIN_TOKEN);
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body)).toEqual(['token']);
    expect(rotated.body.token).not.toBe(old);
    expect((await client.get('/v1/agents/rotor', old)).status).toBe(401);
    expect((await client.get('/v1/agents/rotor', rotated.body.token)).status).toBe(200);
    expect((await client.post('/v1/agents/rotor/token', rotated.body.token)).status).toBe(403);
    expect((await client.post('/v1/agents/ghost/token', ADMIN_TOKEN)).status).toBe(404);
  });

  it('deletes an agent (admin): 204, then 404, and its token is dead', async () => {
    const token = await client.register(ADMIN_TOKEN, 'doomed');
    expect((await client.delete('/v1/agents/doomed', token)).status).toBe(403);
    const deleted = await client.delete('/v1/agents/doomed', ADMIN_TOKEN);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await client.get('/v1/agents/doomed', ADMIN_TOKEN)).status).toBe(404);
    expect((await client.get('/v1/agents', token)).status).toBe(401);
    expect((await client.delete('/v1/agents/doomed', ADMIN_TOKEN)).status).toBe(404);
    // The id is free again.
    expect((await client.post('/v1/agents', ADMIN_TOKEN, { id: 'doomed' })).status).toBe(201);
  });

  it('answers 401 without a token, with a bad one, or with a forged agent token', async () => {
    const noToken = await client.get('/v1/agents');
    expect(noToken.status).toBe(401);
    expect(noToken.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'a valid bearer token is required (Authorization: Bearer <token>)',
    });
    expect(noToken.headers.get('www-authenticate')).toContain('Bearer');
    expect((await client.get('/v1/agents', 'nope')).status).toBe(401);
    expect((await client.get('/v1/agents', 'nova.forged-secret')).status).toBe(401);
    expect((await client.get('/v1/agents', 'ghost.forged-secret')).status).toBe(401);
    expect((await client.get('/v1/agents', `${ADMIN_TOKEN}x`)).status).toBe(401);
    const basic = await client.get('/v1/agents', undefined, { authorization: `Basic ${ADMIN_TOKEN}` });
    expect(basic.status).toBe(401);
  });

  it('keeps health public', async () => {
    expect((await client.get('/health/live')).status).toBe(200);
  });
});
