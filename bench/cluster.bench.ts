import { connect, createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { ClusterStore } from '../components/cluster/index.js';
import { ClusterService } from '../components/cluster/api.js';
import { ClusterCommunicationService, CommunicationManager, encodeFrame, FrameDecoder, FrameType } from '../components/messaging/index.js';
import { newNonce, proofFor, proofKey } from '../components/cluster/handshake.js';
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

/** One cluster node in this process, listening on 127.0.0.1, with the listed peer `b` (which the benchmark plays). */
async function oneNode(cluster: Record<string, unknown>, logLine?: (line: string) => void): Promise<{ port: number; messaging: ClusterCommunicationService; stop: () => Promise<void> }> {
  const [pa, pb] = (await freePortsFrom(9876, 2)) as [number, number];
  const logger = logLine ? pino({ level: 'warn' }, { write: logLine }) : pino({ level: 'silent' });
  const container = new Container({ nodeId: 'a', logger });
  await container.config.update('cluster', { nodes: [{ id: 'a', ip: '127.0.0.1', tcpPort: pa }, { id: 'b', ip: '127.0.0.1', tcpPort: pb }], reconnect: { initialMs: 60_000, maxMs: 60_000 }, ...cluster });
  container.register(CommunicationManager, ClusterStore);
  await container.start();
  return { port: pa, messaging: (await container.getService(ClusterCommunicationService)) as ClusterCommunicationService, stop: () => container.stop() };
}

/** A hand-made peer "b": connect, HELLO (and AUTH with a secret), one request answered at once (no subscriber). */
async function handshakeOnce(port: number, secret: string | undefined): Promise<number> {
  const started = performance.now();
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  const nonce = newNonce();
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk).frames) {
        if (frame.type === FrameType.HELLO) {
          const theirs = (frame.payload.b as { nonce: Uint8Array }).nonce;
          if (secret === undefined) socket.write(encodeFrame(FrameType.MESSAGE, { s: 'nobody', n: 'b', b: 0, i: 1 }));
          else socket.write(encodeFrame(FrameType.AUTH, { s: 'AUTH', n: 'b', b: { proof: proofFor(secret, { initiatorId: 'b', acceptorId: 'a', initiatorNonce: nonce, acceptorNonce: theirs }, 'initiator') } }));
        } else if (frame.type === FrameType.AUTH) socket.write(encodeFrame(FrameType.MESSAGE, { s: 'nobody', n: 'b', b: 0, i: 1 }));
        else if (frame.type === FrameType.REPLY) resolve();
      }
    });
    socket.write(encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'b', b: { ip: '127.0.0.1', tcpPort: 1, nonce, v: 3, auth: secret !== undefined } }));
  });
  const elapsed = performance.now() - started;
  await new Promise<void>((resolve) => socket.end(resolve));
  return elapsed;
}

/** Connect, then one raw ping-pong: what any connection costs before a first answer. */
async function rawConnectOnce(port: number): Promise<number> {
  const started = performance.now();
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve) => {
    socket.once('data', () => { resolve(); });
    socket.write(rawFrame(Buffer.alloc(8)));
  });
  const elapsed = performance.now() - started;
  socket.destroy();
  return elapsed;
}

async function handshakes(count: number): Promise<string[][]> {
  const secret = 'a benchmark secret, long enough';
  const plain = await oneNode({});
  const withSecret = await oneNode({ secret });
  const { client, server } = await rawPair((frame, socket) => socket.write(rawFrame(frame)));
  client.destroy();
  const { port: rawPort } = server.address() as { port: number };
  const times: Record<'plain' | 'secret' | 'raw', number[]> = { plain: [], secret: [], raw: [] };
  // Interleaved, so that each variant meets the same machine.
  for (let i = 0; i < count; i++) {
    times.raw.push(await rawConnectOnce(rawPort));
    times.plain.push(await handshakeOnce(plain.port, undefined));
    times.secret.push(await handshakeOnce(withSecret.port, secret));
  }
  const keyStarted = performance.now();
  proofKey(`a secret this process has not derived a key from yet ${Date.now()}`);
  const keyMs = performance.now() - keyStarted;
  await Promise.all([plain.stop(), withSecret.stop()]);
  server.close();
  const p50 = (values: number[]): number => percentile(values, 50);
  return [
    ['connect → bound → first reply, no secret', us(p50(times.plain)), us(p50(times.raw)), ratio(p50(times.plain), p50(times.raw))],
    ['connect → bound → first reply, with a secret', us(p50(times.secret)), us(p50(times.raw)), ratio(p50(times.secret), p50(times.raw))],
    ['scrypt key of a secret (once per secret and process)', us(keyMs), '', ''],
  ];
}

/**
 * A peer that sends requests and never reads the replies: the most bytes the node lets wait for it (its
 * queue bound, then it drops the peer), beside a raw server that answers every request without a bound.
 */
async function unreadReplies(requests: number, replyBytes: number): Promise<string[][]> {
  const reply = 'r'.repeat(replyBytes);
  const flood = Buffer.concat(Array.from({ length: requests }, (_, i) => encodeFrame(FrameType.MESSAGE, { s: 'ask', n: 'b', b: 0, i: i + 1 })));

  // Ours: the node says how many bytes were waiting when it dropped the peer.
  let waitingAtDrop = 0;
  const node = await oneNode({}, (line) => {
    const entry = JSON.parse(line) as { waitingBytes?: number };
    if (entry.waitingBytes !== undefined) waitingAtDrop = entry.waitingBytes;
  });
  node.messaging.addSubscriber('ask', () => reply);
  const socket = connect({ host: '127.0.0.1', port: node.port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('data', () => { resolve(); }));
  socket.write(encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'b', b: { ip: '127.0.0.1', tcpPort: 1, nonce: newNonce(), v: 3, auth: false } }));
  socket.pause();
  socket.write(flood);
  while (waitingAtDrop === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  socket.destroy();
  await node.stop();

  // Raw: each reply a fresh buffer (as an encoder makes), written without looking at backpressure.
  let answered = 0;
  let most = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const { client, server } = await rawPair((_frame, peer) => {
    peer.write(rawFrame(Buffer.from(reply)));
    most = Math.max(most, peer.writableLength);
    if (++answered === requests) done();
  });
  client.on('error', () => undefined);
  client.pause();
  client.write(Buffer.concat(Array.from({ length: requests }, () => rawFrame(Buffer.alloc(8)))));
  await finished;
  client.destroy();
  server.close();
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  return [[`${requests.toLocaleString('en')} requests, ${replyBytes} B replies, never read`, `${mb(waitingAtDrop)} (then it reads no more from the peer)`, `${mb(most)} (all of them)`, ratio(waitingAtDrop, most)]];
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
  // After the throughput runs, so that the flood below does not weigh on them.
  printTable('Handshake (a peer connecting to a node on 127.0.0.1, 200 times, median)', ['', 'Lattice', 'raw connect + ping-pong', 'ratio'], await handshakes(200));
  printTable('Replies a peer never reads (bytes queued for it at most; maxQueuedReplyBytes 64 MiB)', ['', 'Lattice', 'raw net.Socket server', 'ratio'], await unreadReplies(150_000, 700));
}
