import { Module } from '@nestjs/common';
import { BrainAgent, BrainAgentHandler } from '../../src/brain/agent-worker/brain-agent.decorator';
import { ContextMessage } from '../../src/context-sync/context-message';
import { ECHO_AGENT_ID, ECHO_TYPE, replyIdFor } from '../../src/example-agent/echo.agent';
import { startTestApp } from '../support/test-app';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';
import { BrainClient, startBrain, TestBrain } from './brain-client';

/** A test agent that fails each message's first delivery: the runner must not acknowledge it then. */
@BrainAgent({ id: 'flaky', consumer: 'flaky-test', waitMs: 200 })
class FlakyAgent implements BrainAgentHandler {
  readonly deliveries: ContextMessage[] = [];

  handle(message: ContextMessage): Promise<void> {
    this.deliveries.push(message);
    const attempts = this.deliveries.filter((seen) => seen.id === message.id).length;
    return attempts === 1 ? Promise.reject(new Error('first attempt fails')) : Promise.resolve();
  }
}

@Module({ providers: [FlakyAgent] })
class FlakyAgentModule {}

describe('example agent module (e2e)', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let nova: string;

  beforeAll(async () => {
    brain = await startBrain('echoagent', {
      env: {
        BRAIN_EXAMPLE_AGENT: 'on',
        BRAIN_VISIBILITY_TIMEOUT_MS: '300',
        BRAIN_MAX_DELIVERIES: '3',
      },
      // AppModule holds the example agent module already; the flaky one exists only for this test.
      start: (config) => startTestApp(config, [FlakyAgentModule]),
    });
    client = brain.client;
    nova = await client.register(ADMIN_TOKEN, 'nova');
  });

  afterAll(() => brain?.close());

  it('registers itself at start', async () => {
    const agent = await waitFor(async () => {
      const response = await client.get(`/v1/agents/${ECHO_AGENT_ID}`, ADMIN_TOKEN);
      return response.status === 200 ? response : undefined;
    }, 'the echo agent to register');
    expect(agent.body).toMatchObject({ id: 'echo', name: 'Echo', capabilities: ['echo'] });
  });

  it('receives a message, answers the sender and acknowledges it', async () => {
    const sent = await client.post('/v1/messages', nova, {
      targetAgent: ECHO_AGENT_ID,
      context: { hello: 'world' },
      priority: 'high',
    });
    expect(sent.status).toBe(201);
    const reply = await waitFor(async () => {
      const pending = await client.get('/v1/agents/nova/messages', nova);
      return pending.body.items.find((message: { type: string }) => message.type === ECHO_TYPE);
    }, 'the echo reply');
    expect(reply).toMatchObject({
      id: replyIdFor(sent.body.id),
      fromAgent: 'echo',
      toAgent: 'nova',
      priority: 'high',
      payload: { echo: { hello: 'world' }, inReplyTo: sent.body.id },
    });
    const status = await waitFor(async () => {
      const response = await client.get(`/v1/messages/${sent.body.id as string}`, nova);
      return response.body.status.acknowledged ? response.body.status : undefined;
    }, 'the echo agent to acknowledge');
    expect(status).toEqual({
      acknowledged: true,
      acknowledgedBy: ['echo'],
      pendingFor: [],
      deadLetteredFor: [],
      expired: false,
    });
  });

  it('acknowledges broadcasts without answering them', async () => {
    const broadcast = await client.post('/v1/broadcasts', nova, { context: { all: 1 } });
    await waitFor(async () => {
      const response = await client.get(`/v1/messages/${broadcast.body.id as string}`, nova);
      return response.body.status.acknowledgedBy.includes('echo');
    }, 'the broadcast to be acknowledged by echo');
    const pending = await client.get('/v1/agents/nova/messages?count=1000', nova);
    const replies = pending.body.items.filter(
      (message: { payload: { inReplyTo?: string } }) => message.payload.inReplyTo === broadcast.body.id,
    );
    expect(replies).toEqual([]);
  });

  it('keeps running after the agent was deleted: registers again', async () => {
    expect((await client.delete(`/v1/agents/${ECHO_AGENT_ID}`, ADMIN_TOKEN)).status).toBe(204);
    await waitFor(
      async () => (await client.get(`/v1/agents/${ECHO_AGENT_ID}`, ADMIN_TOKEN)).status === 200,
      'the echo agent to register again',
    );
    const sent = await client.post('/v1/messages', nova, {
      targetAgent: ECHO_AGENT_ID,
      context: { again: true },
    });
    expect(sent.status).toBe(201);
    await waitFor(async () => {
      const pending = await client.get('/v1/agents/nova/messages?count=1000', nova);
      return pending.body.items.some((message: { id: string }) => message.id === replyIdFor(sent.body.id));
    }, 'the echo reply after re-registration');
  });

  it('does not acknowledge a message whose handler failed: it is delivered again, then acknowledged', async () => {
    const sent = await client.post('/v1/messages', nova, { targetAgent: 'flaky', context: { job: 7 } });
    expect(sent.status).toBe(201);
    const flaky = brain.app.get(FlakyAgent);
    const status = await waitFor(async () => {
      const response = await client.get(`/v1/messages/${sent.body.id as string}`, nova);
      return response.body.status.acknowledged ? response.body.status : undefined;
    }, 'the flaky agent to succeed on the second delivery');
    expect(status.acknowledgedBy).toEqual(['flaky']);
    const attempts = flaky.deliveries.filter((message) => message.id === sent.body.id);
    expect(attempts.map((message) => message.deliveryCount)).toEqual([1, 2]);
  });

  it('stops its loops promptly on shutdown', async () => {
    const started = Date.now();
    await brain.close();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
