import { BrainAI } from '../../src/brain/brain-ai.service';
import { ContextMessage } from '../../src/context-sync/context-message';
import { ContextSyncService } from '../../src/context-sync/context-sync.service';
import { MemoryService } from '../../src/memory/memory.service';
import { BrainClient, startBrain, TestBrain } from '../e2e/brain-client';
import { sample } from '../support/prometheus-text';
import { ADMIN_TOKEN, waitFor } from '../support/test-environment';

/**
 * The design note (shared/seed/contextsync-v2-design-note.md), its "API Usage Examples", "Best Practices",
 * "Testing Checklist" and the routing of "Future Enhancements", run as written against Brain. Adapted only where
 * the note is not valid code: `@/server/...` imports and `getInstance()` become the app's providers, `...`
 * placeholders a concrete message, `processMessage` (left undefined by the note) a local function. Brain's history
 * is the Postgres archive, which trails Redis by BRAIN_ARCHIVE_INTERVAL_MS: the history examples first wait for it.
 * The note's console output is captured and checked.
 */
describe('the design note, run as written', () => {
  let brain: TestBrain;
  let client: BrainClient;
  let brainAI: BrainAI;
  let contextSync: ContextSyncService;
  let logged: string[];
  const AGENTS = ['dexter', 'nova', 'omni', 'cassie'];

  beforeAll(async () => {
    brain = await startBrain('designnote');
    client = brain.client;
    // "Auto-route to Nova": Nova is the team's analyst.
    for (const id of AGENTS)
      await client.register(ADMIN_TOKEN, id, { capabilities: id === 'nova' ? ['analysis'] : [] });
    brainAI = brain.app.get(BrainAI);
    contextSync = brain.app.get(ContextSyncService);
  });

  afterAll(() => brain?.close());

  beforeEach(async () => {
    for (const agent of AGENTS) {
      const pending = await contextSync.getPendingMessages(agent, 1000);
      if (pending.length > 0)
        await contextSync.acknowledgeMany(
          agent,
          pending.map((m) => m.id),
        );
    }
    logged = [];
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
    jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
  });

  afterEach(() => jest.restoreAllMocks());

  const archived = (id: string) =>
    waitFor(
      async () => (await brain.app.get(MemoryService).findArchivedMessage(id)) !== null,
      `${id} archived`,
    );

  describe('API Usage Examples', () => {
    it('Share Context Between Agents', async () => {
      // Dexter shares sales data with Nova
      const message = await brainAI.shareContext({
        sourceAgent: 'dexter',
        targetAgent: 'nova',
        context: {
          type: 'sales_data',
          revenue: 150000,
          trend: 'upward',
        },
      });

      console.log(`Message sent: ${message.id}`);
      // Message sent: 8ab8a3aa-a900-433d-abcc-4d10b12ae564

      expect(logged).toEqual([expect.stringMatching(/^Message sent: [0-9a-f-]{36}$/)]);
    });

    it('Broadcast to All Agents', async () => {
      // Omni broadcasts system alert
      const message = await brainAI.broadcast(
        'omni',
        {
          type: 'system_alert',
          severity: 'high',
          message: 'API rate limit at 90%',
        },
        'critical', // priority
      );

      console.log(`Broadcast sent with priority: ${message.priority}`);

      expect(logged).toEqual(['Broadcast sent with priority: critical']);
      expect((await contextSync.getPendingMessages('dexter'))[0]).toMatchObject({
        id: message.id,
        fromAgent: 'omni',
        toAgent: 'broadcast',
        priority: 'critical',
      });
    });

    it('Get Pending Messages', async () => {
      await brainAI.shareContext({ sourceAgent: 'dexter', targetAgent: 'nova', context: { n: 1 } });

      // Nova checks for new messages
      const pending = await contextSync.getPendingMessages('nova', 10);

      pending.forEach((msg) => {
        console.log(`From ${msg.fromAgent}: ${JSON.stringify(msg.payload)}`);
      });

      expect(logged).toEqual(['From dexter: {"n":1}']);
    });

    it('Acknowledge Message', async () => {
      // The note's id, published to Nova first (a client may choose its message ids).
      await brainAI.shareContext({
        id: '8ab8a3aa-a900-433d-abcc-4d10b12ae564',
        sourceAgent: 'dexter',
        targetAgent: 'nova',
        context: { type: 'sales_data' },
      });

      // Nova acknowledges message after processing
      const messageId = '8ab8a3aa-a900-433d-abcc-4d10b12ae564';
      const acked = await contextSync.acknowledge(messageId, 'nova');

      if (acked) {
        console.log('Message acknowledged successfully');
      }

      expect(acked).toBe(true);
      expect(logged).toEqual(['Message acknowledged successfully']);
      expect(await contextSync.isAcknowledged(messageId)).toBe(true);
    });

    it('Get Conversation History', async () => {
      const sent = await brainAI.shareContext({
        sourceAgent: 'nova',
        targetAgent: 'dexter',
        context: { answer: 'revenue is up' },
      });
      await archived(sent.id);

      // Get conversation between Dexter and Nova (last 50 messages)
      const history = await contextSync.getHistory('dexter', 'nova', 50);

      console.log(`Found ${history.length} messages in conversation`);
      history.forEach((record) => {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string, @typescript-eslint/restrict-template-expressions -- the note's line
        console.log(`[${record.timestamp}] ${record.agentId}: ${record.context}`);
      });

      expect(history.length).toBeGreaterThan(0);
      expect(history.length).toBeLessThanOrEqual(50);
      expect(logged[0]).toBe(`Found ${history.length} messages in conversation`);
      expect(history[0]).toMatchObject({
        agentId: 'nova',
        context: { answer: 'revenue is up' },
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
      expect(logged[1]).toBe(`[${history[0].timestamp}] nova: [object Object]`);
      expect(await contextSync.getHistory('dexter', 'nova', 1)).toHaveLength(1);
    });

    it('Get Statistics', async () => {
      const stats = await contextSync.getStats();

      console.log(`Total messages: ${stats.totalMessages}`);
      console.log(`Pending: ${stats.pendingMessages}`);
      console.log(`Acknowledged: ${stats.acknowledgedMessages}`);
      console.log('Messages by agent:', stats.streamsByAgent);

      expect(logged[0]).toMatch(/^Total messages: [1-9]\d*$/);
      expect(logged[1]).toMatch(/^Pending: \d+$/);
      expect(logged[2]).toMatch(/^Acknowledged: [1-9]\d*$/);
      expect(Object.keys(stats.streamsByAgent)).toEqual(expect.arrayContaining(AGENTS));
    });
  });

  describe('Best Practices', () => {
    it('1. Message Priority', async () => {
      const dailyStats = { messages: 42 };

      // Low priority - background data sync
      await brainAI.broadcast('dexter', { stats: dailyStats }, 'low');

      // Medium priority - standard communication (default)
      await brainAI.shareContext({
        sourceAgent: 'nova',
        targetAgent: 'dexter',
        context: { request: 'analyze data' },
      });

      // High priority - important updates
      await brainAI.broadcast('omni', { alert: 'SLA violation' }, 'high');

      // Critical priority - system-wide emergencies
      await brainAI.broadcast('omni', { alert: 'system down' }, 'critical');

      const priorities = (await contextSync.getPendingMessages('dexter', 10)).map((m) => m.priority);
      expect(priorities).toEqual(['critical', 'high', 'medium']);
      expect((await contextSync.getPendingMessages('cassie', 10)).map((m) => m.priority)).toEqual([
        'critical',
        'high',
        'low',
      ]);
    });

    it('2. Message Acknowledgment', async () => {
      const good = await brainAI.shareContext({
        sourceAgent: 'dexter',
        targetAgent: 'nova',
        context: { ok: 1 },
      });
      const bad = await brainAI.shareContext({
        sourceAgent: 'dexter',
        targetAgent: 'nova',
        context: { ok: 0 },
      });
      const processMessage = (message: ContextMessage): Promise<void> =>
        message.payload.ok === 0 ? Promise.reject(new Error('cannot process')) : Promise.resolve();

      const pending = await contextSync.getPendingMessages('nova', 10);

      for (const message of pending) {
        try {
          // Process message
          await processMessage(message);

          // Acknowledge successful processing
          await contextSync.acknowledge(message.id, 'nova');
        } catch (error) {
          // Don't acknowledge on failure - message will remain pending
          console.error(`Failed to process message ${message.id}:`, error);
        }
      }

      expect(await contextSync.isAcknowledged(good.id)).toBe(true);
      expect((await contextSync.getPendingMessages('nova', 10)).map((m) => m.id)).toEqual([bad.id]);
      expect(logged).toEqual([`Failed to process message ${bad.id}: Error: cannot process`]);
    });

    it('3. Stream Cleanup', async () => {
      const stats = await contextSync.getStats();

      // Alert if streams are growing too large
      if (stats.totalMessages > 50000) {
        console.warn('Consider reducing retention period');
      }

      // Check per-agent streams
      Object.entries(stats.streamsByAgent).forEach(([agent, count]) => {
        if (count > 10000) {
          console.warn(`Agent ${agent} stream is at max capacity`);
        }
      });

      expect(logged).toEqual([]);
      expect(Object.values(stats.streamsByAgent).every((count) => typeof count === 'number')).toBe(true);
    });
  });

  describe('Testing Checklist', () => {
    describe('ContextSyncV2', () => {
      it('should persist message to Redis Stream', async () => {
        const message = await contextSync.share({
          sourceAgent: 'nova',
          targetAgent: 'dexter',
          context: { query: 'test' },
        });

        const pending = await contextSync.getPendingMessages('dexter', 1);
        expect(pending[0].id).toBe(message.id);
      });

      it('should acknowledge message', async () => {
        const message = await contextSync.share({ sourceAgent: 'nova', targetAgent: 'dexter', context: {} });

        await contextSync.acknowledge(message.id, 'dexter');
        const acked = await contextSync.isAcknowledged(message.id);

        expect(acked).toBe(true);
      });

      it('should cleanup old messages', async () => {
        // Nothing is old enough yet: cleanup removes nothing that is still pending.
        const message = await contextSync.share({ sourceAgent: 'nova', targetAgent: 'dexter', context: {} });
        expect(await contextSync.cleanupOldMessages()).toBeGreaterThanOrEqual(0);
        expect((await contextSync.getPendingMessages('dexter', 10)).map((m) => m.id)).toContain(message.id);
      });
    });

    describe('BrainAI with ContextSyncV2', () => {
      it('should share context between agents persistently', async () => {
        const message = await brainAI.shareContext({
          sourceAgent: 'dexter',
          targetAgent: 'nova',
          context: { data: 'sales report' },
        });
        await archived(message.id);

        // Simulate restart by creating new instance
        const newBrainAI = brain.app.get(BrainAI);

        // Should still retrieve message from Redis
        const history = await newBrainAI.getAgentHistory('dexter');
        expect(Array.isArray(history)).toBe(true);
        expect(history).toContainEqual(
          expect.objectContaining({
            agentId: 'dexter',
          }),
        );
      });
    });
  });

  describe('Future Enhancements', () => {
    it('1. Priority Queues', async () => {
      await brainAI.shareContext({
        sourceAgent: 'dexter',
        targetAgent: 'nova',
        context: {},
        priority: 'low',
      });
      const high = await brainAI.shareContext({
        sourceAgent: 'dexter',
        targetAgent: 'nova',
        context: {},
        priority: 'high',
      });

      // High-priority messages consumed first
      const pending = await contextSync.getPendingMessages('nova', 10, { priority: 'high' });

      expect(pending.map((m) => m.id)).toEqual([high.id]);
    });

    it('3. Dead Letter Queue', async () => {
      const failed = await brainAI.shareContext({
        sourceAgent: 'dexter',
        targetAgent: 'nova',
        context: { type: 'sales_data', revenue: 'n/a' },
      });
      const messageId = failed.id;
      const reason = 'revenue is not a number';

      // Messages that fail processing move to DLQ
      // (the note's `moveToDeadLetter(messageId, reason)` names no recipient; Brain's takes the agent whose copy dies)
      const moved = await contextSync.moveToDeadLetter(messageId, 'nova', reason);

      expect(moved).toEqual({ id: messageId, agentId: 'nova', outcome: 'dead_lettered' });
      expect(await contextSync.getPendingMessages('nova', 10)).toEqual([]);
      expect(await contextSync.listDeadLetters('nova')).toEqual([
        expect.objectContaining({ id: messageId, reason: 'rejected', detail: reason, deliveryCount: 0 }),
      ]);
      expect((await contextSync.getMessage(messageId)).status).toMatchObject({ deadLetteredFor: ['nova'] });

      // The same call on the BrainAI facade, for a broadcast: only that recipient's copy dies.
      const alert = await brainAI.broadcast('omni', { alert: 'malformed' }, 'high');
      expect(await brainAI.moveToDeadLetter(alert.id, 'cassie', 'cannot parse')).toEqual({
        id: alert.id,
        agentId: 'cassie',
        outcome: 'dead_lettered',
      });
      expect((await contextSync.getMessage(alert.id)).status).toMatchObject({
        deadLetteredFor: ['cassie'],
        pendingFor: ['dexter', 'nova'],
      });
      // Acknowledging a dead letter resolves it (and leaves nothing for the next test).
      await contextSync.acknowledge(messageId, 'nova');
      await contextSync.acknowledge(alert.id, 'cassie');
      expect(await contextSync.listDeadLetters('nova')).toEqual([]);
    });

    it('4. Message Routing', async () => {
      // Route messages based on content type
      const message = await contextSync.shareWithRouting({
        sourceAgent: 'dexter',
        context: { type: 'sales_data' },
        routing: { type: 'analysis' }, // Auto-route to Nova
      });

      expect(message).toMatchObject({ toAgent: 'nova', routedBy: 'capability:analysis' });
      expect((await contextSync.getPendingMessages('nova', 10)).map((m) => m.id)).toEqual([message.id]);

      // The contract's spelling, on the BrainAI facade: `routing: { capability }` ...
      const routed = await brainAI.shareWithRouting({
        sourceAgent: 'omni',
        context: { type: 'sales_data' },
        routing: { capability: 'analysis' },
      });
      expect(routed).toMatchObject({ fromAgent: 'omni', toAgent: 'nova', routedBy: 'capability:analysis' });
      // ... and never the sender: Nova is the only analyst, so her own request finds nobody.
      await expect(
        brainAI.shareWithRouting({ sourceAgent: 'nova', context: {}, routing: { capability: 'analysis' } }),
      ).rejects.toThrow("no registered agent offers capability 'analysis'");
    });

    it('5. Metrics & Monitoring', async () => {
      await brainAI.shareContext({ sourceAgent: 'dexter', targetAgent: 'nova', context: {} });

      // Prometheus metrics
      //   brain_contextsync_messages_total{agent="dexter",status="pending"}
      //   brain_contextsync_latency_seconds{operation="share",p95="0.005"}
      // Brain's names are the note's; a quantile is PromQL over the histogram, and what is pending for an agent is
      // the gauge brain_contextsync_pending{agent} (a status of a message, not an event to count).
      const metrics = await (await fetch(`${client.url}/metrics`)).text();
      expect(
        sample(metrics, 'brain_contextsync_messages_total{agent="dexter",status="published"}'),
      ).toBeGreaterThan(0);
      expect(metrics).toContain('# TYPE brain_contextsync_latency_seconds histogram');
      expect(sample(metrics, 'brain_contextsync_latency_seconds_count{operation="share"}')).toBeGreaterThan(
        0,
      );
      expect(sample(metrics, 'brain_contextsync_pending{agent="nova"}')).toBeGreaterThanOrEqual(0);
    });
  });

  it('getPendingMessages(agentId, count) returns at most count messages', async () => {
    for (let i = 0; i < 3; i++)
      await contextSync.share({ sourceAgent: 'nova', targetAgent: 'dexter', context: { i } });
    expect(await contextSync.getPendingMessages('dexter', 1)).toHaveLength(1);
    expect(await contextSync.getPendingMessages('dexter', 2)).toHaveLength(2);
    expect(await contextSync.getPendingMessages('dexter')).toHaveLength(3);
  });

  // Last: it deletes everything the other tests use.
  it('Clear all data: clear()', async () => {
    await brainAI.shareContext({ sourceAgent: 'dexter', targetAgent: 'nova', context: { doomed: true } });
    expect((await contextSync.getStats()).totalMessages).toBeGreaterThan(0);

    await contextSync.clear();

    const stats = await contextSync.getStats();
    expect(stats).toMatchObject({ totalMessages: 0, pendingMessages: 0, streamsByAgent: {} });
  });
});
