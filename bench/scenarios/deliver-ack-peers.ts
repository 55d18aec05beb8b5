import { randomUUID } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as connectAmqp } from 'amqplib';
import { AckPolicy, connect as connectNats, RetentionPolicy, StorageType } from 'nats';
import { runTimes } from '../lib/closed-loop';
import { SAMPLE_CONTEXT, SAMPLE_TYPE } from '../lib/message';

/**
 * The other brokers of issue 13 goal 6, end to end like Brain and BullMQ in scenario 4: the same N messages of the
 * same payload, the same publishers in flight, a consumer with BATCH in flight acknowledging each message.
 * Each broker in its default durable setup on this machine: RabbitMQ a durable classic queue, persistent messages,
 * publisher confirms, manual acks; NATS JetStream a file-stored work-queue stream, a publish awaits its PubAck,
 * explicit acks.
 */
export const RABBITMQ = { host: '127.0.0.1', port: 5672, url: 'amqp://guest:guest@127.0.0.1:5672' };
export const NATS = { host: '127.0.0.1', port: 4222 };
const RUN_TIMEOUT_MS = 180_000;

const body = () =>
  Buffer.from(
    JSON.stringify({ from: 'bench-sender', type: SAMPLE_TYPE, payload: SAMPLE_CONTEXT, ts: Date.now() }),
  );

/** Whether something listens at host:port (a peer that is not running is skipped with a note). */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} timed out after ${RUN_TIMEOUT_MS / 1000} s`)),
      RUN_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function rabbitRun(n: number, concurrency: number, batch: number): Promise<number> {
  const connection = await connectAmqp(RABBITMQ.url);
  const queue = `bench-${randomUUID()}`;
  try {
    const publisher = await connection.createConfirmChannel();
    const consumer = await connection.createChannel();
    await publisher.assertQueue(queue, { durable: true });
    await consumer.prefetch(batch);
    let acknowledged = 0;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    await consumer.consume(
      queue,
      (message) => {
        if (!message) return;
        consumer.ack(message);
        if (++acknowledged === n) finish();
      },
      { noAck: false },
    );
    const started = performance.now();
    const produce = runTimes(
      n,
      concurrency,
      () =>
        new Promise<void>((resolve, reject) =>
          publisher.sendToQueue(queue, body(), { persistent: true }, (error) =>
            error ? reject(error as Error) : resolve(),
          ),
        ),
    );
    await withTimeout(Promise.all([produce, done]), `RabbitMQ (${acknowledged} of ${n} acknowledged)`);
    const rate = n / ((performance.now() - started) / 1000);
    await publisher.deleteQueue(queue);
    return rate;
  } finally {
    await connection.close();
  }
}

export async function natsRun(n: number, concurrency: number, batch: number): Promise<number> {
  const connection = await connectNats({ servers: `${NATS.host}:${NATS.port}` });
  const suffix = randomUUID().replace(/-/g, '');
  const stream = `BENCH_${suffix}`;
  const subject = `bench.${suffix}`;
  const manager = await connection.jetstreamManager();
  try {
    await manager.streams.add({
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
    await manager.consumers.add(stream, { durable_name: 'worker', ack_policy: AckPolicy.Explicit });
    const jetstream = connection.jetstream();
    const messages = await (await jetstream.consumers.get(stream, 'worker')).consume({ max_messages: batch });
    const started = performance.now();
    const consume = (async () => {
      let acknowledged = 0;
      for await (const message of messages) {
        message.ack();
        if (++acknowledged === n) break;
      }
      // ack() does not wait for the server; a round trip after the last one means the server has them all.
      await connection.flush();
    })();
    const produce = runTimes(n, concurrency, () => jetstream.publish(subject, body()));
    await withTimeout(Promise.all([produce, consume]), 'NATS JetStream');
    return n / ((performance.now() - started) / 1000);
  } finally {
    await manager.streams.delete(stream).catch(() => undefined);
    await connection.close();
  }
}
