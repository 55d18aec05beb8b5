import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Redis } from 'ioredis';
import { AppProcess } from './app-process';
import { processTree } from './process-cpu';

export interface ProcessResources {
  /** Resident memory of the app's process tree. */
  rssBytes: number;
  /** V8 heap in use, as the app's /metrics reports it (nodejs_heap_size_used_bytes, summed over workers). */
  heapUsedBytes: number;
  /** Open file descriptors of the app's process tree (sockets included). */
  fds: number;
  /** Connections Redis lists (CLIENT LIST) whose client end is a socket of the app's process tree. */
  redisConnections: number;
}

/**
 * What the app holds now, read from outside: /proc for memory, descriptors and sockets, its /metrics for the heap,
 * and Redis's CLIENT LIST for connections. Other processes share the Redis, so its connections are attributed to
 * the app by their client port: a CLIENT LIST entry counts when its address is the local end of one of the app's
 * sockets.
 */
export async function processResources(app: AppProcess, redisUrl: string): Promise<ProcessResources> {
  const tree = processTree(app.pid);
  const inodes = new Set<string>();
  let rssBytes = 0;
  let fds = 0;
  for (const { pid } of tree) {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    rssBytes += Number(rss?.[1] ?? 0) * 1024;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      fds += 1;
      try {
        const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (socket) inodes.add(socket[1]);
      } catch {
        // closed between the listing and the read
      }
    }
  }
  const redisPort = Number(new URL(redisUrl).port || 6379);
  const localPorts = socketPortsTo(redisPort, inodes);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let redisConnections = 0;
  try {
    await redis.connect();
    const list = (await redis.call('CLIENT', 'LIST')) as string;
    for (const line of list.split('\n')) {
      const port = / addr=[^ ]*:(\d+) /.exec(` ${line}`)?.[1];
      if (port && localPorts.has(Number(port))) redisConnections += 1;
    }
  } finally {
    redis.disconnect();
  }
  return { rssBytes, heapUsedBytes: await heapUsed(app), fds, redisConnections };
}

/** Local ports of the TCP sockets (among `inodes`) connected to `remotePort`, from /proc/net/tcp and tcp6. */
function socketPortsTo(remotePort: number, inodes: Set<string>): Set<number> {
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let rows: string[];
    try {
      rows = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const fields = row.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9])) continue;
      const local = Number.parseInt(fields[1].split(':')[1], 16);
      const remote = Number.parseInt(fields[2].split(':')[1], 16);
      if (remote === remotePort) ports.add(local);
    }
  }
  return ports;
}

async function heapUsed(app: AppProcess): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  let sum = 0;
  for (const match of text.matchAll(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/gm))
    sum += Number(match[1]);
  return sum;
}
