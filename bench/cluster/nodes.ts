import { connect, createServer, type Server, type Socket } from 'node:net';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { pino } from 'pino';
import { ClusterStore } from '../../components/cluster/index.js';
import { ClusterService } from '../../components/cluster/api.js';
import { ClusterCommunicationService, CommunicationManager } from '../../components/messaging/index.js';
import { Container } from '../../src/index.js';
import { freePortsFrom } from '../../scripts/ports.js';

/** Which transport a benchmark's nodes use. */
export type BenchTransport = 'tcp' | 'nats';

/** The NATS server the parent started for this run (its URL and token come in the environment). */
export function natsFromEnvironment(): { url: string; token: string } {
  const url = process.env.LATTICE_BENCH_NATS_URL;
  const token = process.env.LATTICE_BENCH_NATS_TOKEN;
  if (url === undefined || token === undefined) throw new Error('LATTICE_BENCH_NATS_URL and LATTICE_BENCH_NATS_TOKEN are not set: the parent benchmark starts the NATS server');
  return { url, token };
}

/** cluster.json's `transport` for a benchmark node. */
function transportSetting(transport: BenchTransport): object {
  if (transport === 'tcp') return {};
  const { url, token } = natsFromEnvironment();
  return { transport: { nats: { servers: [url], token } } };
}

export interface BenchNodes {
  readonly containers: Container[];
  messaging(index: number): Promise<ClusterCommunicationService>;
  stop(): Promise<void>;
}

/**
 * `count` cluster nodes in this process, on 127.0.0.1 (or through the NATS server), cluster.json's
 * defaults otherwise. The containers are made and their components registered here; `start` is the caller's.
 */
export async function makeNodes(transport: BenchTransport, count: number): Promise<BenchNodes> {
  const ports = await freePortsFrom(9876, count);
  const ids = ports.map((_, i) => `n${i}`);
  const nodes = ids.map((id, i) => ({ id, ip: '127.0.0.1', tcpPort: ports[i] as number }));
  const containers: Container[] = [];
  for (const id of ids) {
    const container = new Container({ nodeId: id, logger: pino({ level: 'silent' }) });
    await container.config.update('cluster', { nodes, ...transportSetting(transport) });
    container.register(CommunicationManager, ClusterStore);
    containers.push(container);
  }
  return {
    containers,
    messaging: async (index) => (await (containers[index] as Container).getService(ClusterCommunicationService)) as ClusterCommunicationService,
    stop: async () => {
      await Promise.all(containers.map((c) => c.stop()));
    },
  };
}

/** Resolves once every node sees every other ACTIVE (checked on each membership event); rejects after `timeoutMs`. */
export async function whenConverged(containers: readonly Container[], timeoutMs = 60_000): Promise<void> {
  const stores = (await Promise.all(containers.map((c) => c.getService(ClusterService)))) as ClusterService[];
  const ids = stores.map((s) => s.getLocalNode().id);
  const converged = (): boolean => stores.every((store) => ids.every((id) => store.getState(id) === 'ACTIVE'));
  if (converged()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      for (const stop of stops) stop();
      reject(new Error(`${containers.length} nodes did not all see each other within ${timeoutMs} ms`));
    }, timeoutMs);
    const stops = stores.map((store) =>
      store.addListener(() => {
        if (!converged()) return;
        clearTimeout(timer);
        for (const stop of stops) stop();
        resolve();
      }),
    );
  });
}

/** Two started nodes that see each other. */
export async function twoNodes(transport: BenchTransport): Promise<{ a: ClusterCommunicationService; b: ClusterCommunicationService; stop: () => Promise<void> }> {
  const nodes = await makeNodes(transport, 2);
  await Promise.all(nodes.containers.map((c) => c.start()));
  await whenConverged(nodes.containers);
  return { a: await nodes.messaging(0), b: await nodes.messaging(1), stop: () => nodes.stop() };
}

/** A raw framed baseline: a 4-byte length, then the bytes, over one net.Socket pair. */
export async function rawPair(onFrame: (frame: Buffer, socket: Socket) => void): Promise<{ client: Socket; server: Server }> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (buffer.length < 4 + length) break;
        onFrame(buffer.subarray(4, 4 + length), socket);
        buffer = buffer.subarray(4 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port });
  client.setNoDelay(true);
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return { client, server };
}

export function rawFrame(body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * The established TCP connections this process holds (its sockets in state ESTABLISHED, from /proc;
 * Linux only, else undefined). Both ends of a connection between two nodes of this process count.
 */
export async function establishedSockets(): Promise<number | undefined> {
  const established = new Set<string>();
  try {
    for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
      const text = await readFile(table, 'utf8').catch(() => '');
      for (const line of text.split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        // st (the 4th field) 01 is ESTABLISHED; the 10th is the socket's inode.
        if (fields[3] === '01' && fields[9] !== undefined) established.add(fields[9]);
      }
    }
    let count = 0;
    for (const fd of await readdir('/proc/self/fd')) {
      const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && established.has(inode)) count++;
    }
    return count;
  } catch {
    return undefined;
  }
}
