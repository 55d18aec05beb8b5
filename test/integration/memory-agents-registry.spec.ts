import { AgentAlreadyExistsError } from '../../src/common/errors';
import { AgentsRepository } from '../../src/agents/agents.repository';
import { newTestEnvironment, TestEnvironment } from '../support/test-environment';
import { MemoryInstance, startMemory } from './memory-harness';

describe('AgentsRepository: the agent registry in Postgres (integration)', () => {
  let environment: TestEnvironment;
  let instance: MemoryInstance;
  let agents: AgentsRepository;

  beforeAll(async () => {
    environment = newTestEnvironment('memagents');
    instance = await startMemory(environment.config);
    agents = instance.agents;
  });

  afterAll(async () => {
    await instance?.close();
    await environment?.dispose();
  });

  it('inserts an agent and reads it back as a plain object', async () => {
    const input = {
      id: 'nova',
      name: 'Nova',
      description: 'sales analyst',
      capabilities: ['sales', 'forecast'],
      metadata: { team: 'emea', level: 3 },
      tokenHash: 'hash-1',
      createdAt: new Date('2026-03-01T10:00:00.000Z'),
    };
    const nova = await agents.insert(input);
    const expected = { ...input, lastSeenAt: null };
    expect(nova).toEqual(expected);
    const found = await agents.findById('nova');
    expect(found).toEqual(expected);
    expect(found?.constructor).toBe(Object);

    const dexter = await agents.insert({ id: 'dexter', tokenHash: 'hash-2' });
    expect(dexter).toMatchObject({
      name: null,
      description: null,
      capabilities: [],
      metadata: {},
      lastSeenAt: null,
    });
    expect((await agents.findAll()).map((agent) => agent.id)).toEqual(['dexter', 'nova']);
    expect(await agents.findById('nobody')).toBeNull();
  });

  it('refuses a second agent with the same id', async () => {
    await expect(agents.insert({ id: 'nova', tokenHash: 'other' })).rejects.toThrow(AgentAlreadyExistsError);
    expect((await agents.findById('nova'))?.tokenHash).toBe('hash-1');
  });

  it('replaces the token hash and moves last seen forward only', async () => {
    expect(await agents.updateTokenHash('nova', 'hash-3')).toBe(true);
    expect(await agents.updateTokenHash('nobody', 'hash-3')).toBe(false);
    expect((await agents.findById('nova'))?.tokenHash).toBe('hash-3');

    const later = new Date('2026-03-02T10:00:00.000Z');
    await agents.touchLastSeen('nova', later);
    await agents.touchLastSeen('nova', new Date('2026-03-01T12:00:00.000Z'));
    expect((await agents.findById('nova'))?.lastSeenAt).toEqual(later);
  });

  it('deletes one agent, then all', async () => {
    expect(await agents.delete('dexter')).toBe(true);
    expect(await agents.delete('dexter')).toBe(false);
    expect((await agents.findAll()).map((agent) => agent.id)).toEqual(['nova']);
    await agents.deleteAll();
    expect(await agents.findAll()).toEqual([]);
  });
});
