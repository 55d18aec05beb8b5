import { createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import { ConfigModule } from '@nestjs/config';
import { Test, TestingModule } from '@nestjs/testing';
import { AgentsPersistenceModule } from '../../src/agents/agents-persistence.module';
import { AgentsRepository } from '../../src/agents/agents.repository';
import { brainConfig, BrainConfig } from '../../src/config/brain.config';
import { DatabaseModule } from '../../src/infrastructure/database/database.module';
import { REDIS_CLIENT, RedisClient } from '../../src/infrastructure/redis/redis.constants';
import { RedisModule } from '../../src/infrastructure/redis/redis.module';
import { MemoryModule } from '../../src/memory/memory.module';
import { MemoryService } from '../../src/memory/memory.service';

/** MemoryModule with its real dependencies (Postgres, Redis) and nothing else: no HTTP, no ContextSync. */
export interface MemoryInstance {
  memory: MemoryService;
  agents: AgentsRepository;
  /** The shared Redis client the module uses (for fault injection). */
  redis: RedisClient;
  close(): Promise<void>;
}

export async function startMemory(config: BrainConfig): Promise<MemoryInstance> {
  const moduleRef: TestingModule = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [brainConfig] }),
      RedisModule,
      DatabaseModule,
      AgentsPersistenceModule,
      MemoryModule,
    ],
  })
    .overrideProvider(brainConfig.KEY)
    .useValue(config)
    .compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return {
    memory: moduleRef.get(MemoryService),
    agents: moduleRef.get(AgentsRepository),
    redis: moduleRef.get<RedisClient>(REDIS_CLIENT),
    close: () => moduleRef.close(),
  };
}

/**
 * A TCP proxy in front of Postgres that a test can cut (every connection dropped, new ones refused) and restore,
 * to play an outage without touching the shared server.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      upstream.connect(this.targetPort, this.targetHost, () => {
        client.pipe(upstream);
        upstream.pipe(client);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Listens again on the same port. */
  restore(): Promise<void> {
    return this.start();
  }
}

/** The same database URL, reached through `proxy`. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return proxied.toString();
}

/** Plain SQL on the suite's database, behind the service's back (fixtures the API cannot make, assertions). */
export async function runSql<T = Record<string, unknown>>(
  config: BrainConfig,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: config.database.url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
