import { randomUUID } from 'node:crypto';
import { connect, Socket } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { RedisKeys } from '../../src/infrastructure/redis/keys';
import { ContextSyncInstance, startContextSync } from '../support/context-sync-harness';
import { newTestEnvironment, rawRedis, TestEnvironment, waitFor } from '../support/test-environment';

const SEEDED = 20_000;

/**
 * Finding a dead letter by message id costs the same with 1 or 20,000 dead letters: no scan of the dead-letter
 * stream, neither inside Redis nor in Node. Measured with MONITOR, which shows the commands scripts run too.
 */
describe('ContextSync dead letters by message id', () => {
  let environment: TestEnvironment;
  let brain: ContextSyncInstance;
  let redis: Redis | Cluster;
  let keys: RedisKeys;

  beforeAll(async () => {
    environment = newTestEnvironment('deadidx', {
      BRAIN_VISIBILITY_TIMEOUT_MS: '100',
      BRAIN_MAX_DELIVERIES: '1',
    });
    brain = await startContextSync(environment.config);
    for (const agent of ['nova', 'dexter', 'kai'])
      await brain.contextSync.registerAgent(agent, `hash-${agent}`);
    redis = rawRedis(environment.config);
    keys = new RedisKeys(environment.config.redis.prefix);
  });

  afterAll(async () => {
    redis?.disconnect();
    await brain?.close();
    await environment?.dispose();
  });

  const sync = () => brain.contextSync;

  async function deadLetter(agent: string, id: string): Promise<void> {
    await waitFor(async () => {
      await sync().getPendingMessages(agent, { consumer: 'flaky', count: 100 });
      return (await sync().listDeadLetters(agent, 1000)).some((letter) => letter.id === id);
    }, `message ${id} to be dead-lettered`);
  }

  /** Appends `count` dead letters (not indexed, as if from elsewhere) after the real ones. */
  async function seed(deadStream: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1000) {
      const pipeline = redis.pipeline();
      for (let j = 0; j < 1000; j++) {
        pipeline.xadd(
          deadStream,
          '*',
          'm',
          randomUUID(),
          'f',
          'nova',
          'ty',
          '',
          'p',
          '{}',
          'ts',
          '1',
          'to',
          '',
          'pr',
          '2',
          'reason',
          'max_deliveries',
          'deadAt',
          '1',
          'dc',
          '1',
        );
      }
      await pipeline.exec();
    }
  }

  /** The commands Redis ran on the given keys while `action` ran (including those inside scripts). */
  async function commandsOn(watched: string[], action: () => Promise<unknown>): Promise<string[][]> {
    const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
    const seen: string[][] = [];
    const marker = `${environment.config.redis.prefix}:{marker}:${randomUUID()}`;
    let markerSeen = false;
    const monitors = await Promise.all(
      nodes.map((node) =>
        monitor(node.options.host ?? '127.0.0.1', node.options.port ?? 6379, (args) => {
          if (args.includes(marker)) markerSeen = true;
          else if (args.some((arg) => watched.includes(arg))) seen.push(args);
        }),
      ),
    );
    try {
      await action();
      await redis.get(marker);
      await waitFor(() => markerSeen, 'MONITOR to report the marker');
    } finally {
      for (const socket of monitors) socket.destroy();
    }
    return seen;
  }

  /** A read of a dead-letter stream that is not a single entry (XRANGE key id id) is a scan. */
  const scans = (commands: string[][]) =>
    commands.filter(([name, , start, end]) => /^xrev?range$/i.test(name) && start !== end);

  it('requeues the oldest of 20,000 dead letters, and misses an unknown id, without scanning them', async () => {
    const direct = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'dexter',
      context: { n: 1 },
    });
    const broadcast = await sync().publishBroadcast({ sourceAgent: 'nova', context: { n: 2 } });
    await sync().acknowledgeMessage(broadcast.message.id, 'kai');
    await deadLetter('dexter', direct.message.id);
    await deadLetter('dexter', broadcast.message.id);
    const directDead = keys.agentMailbox('dexter').dead;
    const broadcastDead = keys.broadcastMailbox('dexter').dead;
    await seed(directDead, SEEDED);
    await seed(broadcastDead, SEEDED);
    const watched = [directDead, broadcastDead];

    const unknown = await commandsOn(watched, () =>
      expect(sync().requeueDeadLetter('dexter', randomUUID())).rejects.toMatchObject({ status: 404 }),
    );
    expect(scans(unknown)).toEqual([]);
    expect(unknown.length).toBeLessThanOrEqual(4);

    for (const id of [direct.message.id, broadcast.message.id]) {
      let requeued: unknown;
      const commands = await commandsOn(watched, async () => {
        requeued = await sync().requeueDeadLetter('dexter', id);
      });
      expect(requeued).toMatchObject({ id, deliveryCount: 0 });
      expect(scans(commands)).toEqual([]);
      // A handful, whatever the number of dead letters (the first call of a script adds EVALSHA → NOSCRIPT → EVAL).
      expect(commands.length).toBeLessThanOrEqual(5);
    }
    const pending = await sync().getPendingMessages('dexter', { count: 10 });
    expect(pending.map((m) => m.id).sort()).toEqual([direct.message.id, broadcast.message.id].sort());

    // A dead letter that was never indexed (older data) is simply not found: 404, not a crash.
    const [[, fields]] = (await redis.xrevrange(directDead, '+', '-', 'COUNT', 1)) as [string, string[]][];
    const unindexed = fields[fields.indexOf('m') + 1];
    await expect(sync().requeueDeadLetter('dexter', unindexed)).rejects.toMatchObject({ status: 404 });
  });

  it('a dead letter and its requeued copy keep inReplyTo and routedBy, direct and broadcast', async () => {
    await brain.contextSync.registerAgent('ana', 'hash-ana', ['analysis']);
    const question = randomUUID();
    const routed = await sync().shareWithRouting({
      sourceAgent: 'nova',
      context: {},
      inReplyTo: question,
      routing: { capability: 'analysis' },
    });
    const broadcast = await sync().broadcast({ sourceAgent: 'nova', context: {}, inReplyTo: question });
    for (const message of [routed, broadcast]) await deadLetter('ana', message.id);
    const letters = await sync().listDeadLetters('ana', 10);
    for (const message of [routed, broadcast]) {
      const kept = { inReplyTo: question, routedBy: message.routedBy };
      expect(letters.find((letter) => letter.id === message.id)).toMatchObject(kept);
      expect(await sync().requeueDeadLetter('ana', message.id)).toMatchObject(kept);
    }
    expect(routed.routedBy).toBe('capability:analysis');
  });

  it('keeps dead letters past retention: status still names them, an ack resolves one, a requeue revives another', async () => {
    await sync().registerAgent('omni', 'hash-omni');
    const direct = await sync().publishMessage({
      sourceAgent: 'nova',
      targetAgent: 'omni',
      context: { n: 1 },
    });
    const broadcast = await sync().publishBroadcast({ sourceAgent: 'nova', context: { n: 2 } });
    await sync().acknowledgeMany('kai', [broadcast.message.id]);
    await sync().acknowledgeMany('dexter', [broadcast.message.id]);
    await deadLetter('omni', direct.message.id);
    await deadLetter('omni', broadcast.message.id);
    await waitFor(async () => (await sync().getStats()).archiveLag === 0, 'everything archived');
    const before = await sync().getStats();

    expect(await sync().cleanupOldMessages(Date.now() + 25 * 3600 * 1000)).toBeGreaterThan(0);
    for (const { message } of [direct, broadcast]) {
      expect((await sync().getMessage(message.id)).status).toMatchObject({
        acknowledged: false,
        pendingFor: [],
        deadLetteredFor: ['omni'],
      });
    }
    expect((await sync().getStats()).deadLetters).toBe(before.deadLetters);

    expect(await sync().acknowledgeMessage(broadcast.message.id, 'omni')).toMatchObject({
      acknowledged: true,
    });
    expect((await sync().listDeadLetters('omni')).map((letter) => letter.id)).toEqual([direct.message.id]);
    expect((await sync().getStats()).deadLetters).toBe(before.deadLetters - 1);
    await waitFor(
      async () => (await sync().getMessage(broadcast.message.id)).status.acknowledgedBy.includes('omni'),
      'the ack to reach the archive',
    );
    expect((await sync().getMessage(broadcast.message.id)).status).toMatchObject({
      acknowledged: true,
      acknowledgedBy: ['dexter', 'kai', 'omni'],
      deadLetteredFor: [],
    });

    expect(await sync().requeueDeadLetter('omni', direct.message.id)).toMatchObject({ deliveryCount: 0 });
    expect((await sync().getPendingMessages('omni')).map((m) => m.id)).toEqual([direct.message.id]);
    expect((await sync().getMessage(direct.message.id)).status).toMatchObject({
      pendingFor: ['omni'],
      deadLetteredFor: [],
    });
    expect((await sync().getStats()).deadLetters).toBe(before.deadLetters - 2);
  });

  it('a broadcast requeued from the dead letters stays pending for its member after retention trims the original', async () => {
    await sync().registerAgent('zoe', 'hash-zoe');
    const { message } = await sync().publishBroadcast({ sourceAgent: 'nova', context: { n: 3 } });
    for (const agent of ['kai', 'dexter', 'omni']) await sync().acknowledgeMany(agent, [message.id]);
    await deadLetter('zoe', message.id);
    const between = Date.now();
    await waitFor(() => Date.now() > between, 'the clock to move on');
    await sync().requeueDeadLetter('zoe', message.id);
    await waitFor(async () => (await sync().getStats()).archiveLag === 0, 'everything archived');

    // Retention takes the original broadcast (older than `between`), not the requeued copy.
    expect(
      await sync().cleanupOldMessages(between + environment.config.messages.retentionMs),
    ).toBeGreaterThan(0);
    expect((await sync().getMessage(message.id)).status).toMatchObject({
      acknowledged: false,
      pendingFor: ['zoe'],
      deadLetteredFor: [],
    });
    expect((await sync().getPendingMessages('zoe')).map((m) => m.id)).toEqual([message.id]);
    await sync().acknowledgeMessage(message.id, 'zoe');
    expect((await sync().getMessage(message.id)).status).toMatchObject({
      acknowledged: true,
      acknowledgedBy: ['dexter', 'kai', 'omni', 'zoe'],
      pendingFor: [],
    });
  });

  it('reads the live state of a message whose id claim expired before retention trimmed it', async () => {
    const { message } = await sync().publishMessage({ sourceAgent: 'nova', targetAgent: 'kai', context: {} });
    await waitFor(async () => (await sync().getStats()).archiveLag === 0, 'everything archived');
    await redis.del(keys.messageClaim(message.id));
    expect((await sync().getMessage(message.id)).status).toMatchObject({
      pendingFor: ['kai'],
      acknowledged: false,
    });
    await sync().acknowledgeMessage(message.id, 'kai');
    expect((await sync().getMessage(message.id)).status).toMatchObject({
      acknowledgedBy: ['kai'],
      acknowledged: true,
    });
  });
});

/** A MONITOR connection (plain socket: one line per command, arguments quoted); resolves once it is on. */
function monitor(host: string, port: number, onCommand: (args: string[]) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let buffer = '';
    let on = false;
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => socket.write('MONITOR\r\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\r\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '+OK' && !on) {
          on = true;
          resolve(socket);
        } else {
          onCommand([...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]));
        }
      }
    });
  });
}
