import { connect, createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { ClusterStore } from '../components/cluster/index.js';
import { ClusterService } from '../components/cluster/api.js';
import { ClusterCommunicationService, CommunicationManager } from '../components/messaging/index.js';
import { Container } from '../src/index.js';
import { printTable, ratio } from './table.js';
import { freePortsFrom } from '../scripts/ports.js';

const us = (milliseconds: number): string => `${Math.round(milliseconds * 1000)} µs`;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Two cluster nodes in this process, connected over 127.0.0.1. */
async function twoNodes(): Promise<{ a: ClusterCommunicationService; b: ClusterCommunicationService; stop: () => Promise<void> }> {
  const [pa, pb] = (await freePortsFrom(9876, 2)) as [number, number];
  const nodes = [
    { id: 'a', ip: '127.0.0.1', tcpPort: pa },
    { id: 'b', ip: '127.0.0.1', tcpPort: pb },
  ];
  const containers = ['a', 'b'].map((id) => new Container({ nodeId: id, logger: pino({ level: 'silent' }) }));
  for (const c of containers) {
    await c.config.update('cluster', { nodes });
    c.register(CommunicationManager, ClusterStore);
    await c.start();
  }
  const [ca, cb] = containers as [Container, Container];
  const store = (await ca.getService(ClusterService)) as ClusterService;
  while (store.getState('b') !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    a: (await ca.getService(ClusterCommunicationService)) as ClusterCommunicationService,
    b: (await cb.getService(ClusterCommunicationService)) as ClusterCommunicationService,
    stop: async () => {
      await Promise.all(containers.map((c) => c.stop()));
    },
  };
}

/** A raw framed baseline: a 4-byte length, then the bytes, over one net.Socket pair. */
async function rawPair(onFrame: (frame: Buffer, socket: Socket) => void): Promise<{ client: Socket; server: Server }> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
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

function rawFrame(body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

async function write(socket: Socket, data: Buffer): Promise<void> {
  if (!socket.write(data)) await new Promise((resolve) => socket.once('drain', resolve));
}

async function oursThroughput(size: number, count: number): Promise<number> {
  const { a, b, stop } = await twoNodes();
  const body = Buffer.alloc(size, 7);
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  b.addSubscriber('bench', () => {
    if (++received === count) done();
  });
  const started = performance.now();
  for (let i = 0; i < count; i++) await a.send('bench', body, 'b');
  await finished;
  const elapsed = performance.now() - started;
  await stop();
  return elapsed;
}

async function rawThroughput(size: number, count: number): Promise<number> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const { client, server } = await rawPair(() => {
    if (++received === count) done();
  });
  const frame = rawFrame(Buffer.alloc(size, 7));
  const started = performance.now();
  for (let i = 0; i < count; i++) await write(client, frame);
  await finished;
  const elapsed = performance.now() - started;
  client.destroy();
  server.close();
  return elapsed;
}

async function oursRtt(count: number): Promise<number[]> {
  const { a, b, stop } = await twoNodes();
  b.addSubscriber('ping', (m) => m.body);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await a.sendAndReceive('ping', i, 'b');
    times.push(performance.now() - started);
  }
  await stop();
  return times;
}

async function rawRtt(count: number): Promise<number[]> {
  const { client, server } = await rawPair((frame, socket) => {
    socket.write(rawFrame(frame));
  });
  let buffer: Buffer = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  client.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
      buffer = buffer.subarray(4 + buffer.readUInt32BE(0));
      waiting?.();
    }
  });
  const times: number[] = [];
  const payload = Buffer.alloc(8);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      waiting = resolve;
      client.write(rawFrame(payload));
    });
    times.push(performance.now() - started);
  }
  client.destroy();
  server.close();
  return times;
}

/** Node-to-node throughput and request/reply round trips, beside a raw framed net.Socket. */
export async function benchCluster(): Promise<void> {
  const rows: string[][] = [];
  for (const [size, count] of [
    [100, 200_000],
    [1024, 100_000],
  ] as const) {
    const ours = await oursThroughput(size, count);
    const raw = await rawThroughput(size, count);
    const rate = (elapsed: number): string => `${Math.round(count / (elapsed / 1000)).toLocaleString('en')} msg/s, ${((count * size) / (elapsed / 1000) / 1e6).toFixed(1)} MB/s`;
    rows.push([`${size} B bodies × ${count.toLocaleString('en')}`, rate(ours), rate(raw), ratio(ours, raw)]);
  }
  printTable('Node-to-node throughput (two nodes on 127.0.0.1; time until the last message is received)', ['messages', 'Lattice messaging', 'raw framed net.Socket', 'time ratio'], rows);

  const ours = await oursRtt(5000);
  const raw = await rawRtt(5000);
  printTable('Request/reply round trip (5,000 sequential requests)', ['', 'Lattice sendAndReceive', 'raw net.Socket ping-pong', 'ratio'], [
    ['p50', us(percentile(ours, 50)), us(percentile(raw, 50)), ratio(percentile(ours, 50), percentile(raw, 50))],
    ['p99', us(percentile(ours, 99)), us(percentile(raw, 99)), ratio(percentile(ours, 99), percentile(raw, 99))],
  ]);
}
