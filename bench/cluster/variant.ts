/**
 * One variant of the cluster benchmark, in a fresh process of its own (the parent runs it and starts the
 * NATS server): `node dist/bench/cluster/variant.js <measure> <variant> ...`. Prints one JSON line.
 *
 * - `throughput <variant> <size> <count>`: `count` messages of `size` bytes from one node to another,
 *   sent as fast as the sender is let; the time until the last is received.
 * - `rtt <variant> <count>`: `count` sequential request/replies; each round trip.
 * - `converge <tcp|nats> <nodes>`: that many nodes started at once in this process, on cluster.json's
 *   defaults; the time until every node sees every other ACTIVE, and the TCP connections each then holds.
 *
 * Variants: `tcp` and `nats` (Lattice messaging over either transport), `raw-socket` (a framed
 * net.Socket, with backpressure), `raw-nats` (the NATS client itself: publish and subscribe, request).
 */
import type { Socket } from 'node:net';
import { establishedSockets, makeNodes, natsFromEnvironment, rawFrame, rawPair, twoNodes, whenConverged, type BenchTransport } from './nodes.js';
import type { ClusterVariant, ConvergeResult, RttResult, ThroughputResult } from './ClusterVariant.js';
import { percentile } from '../stats.js';

async function write(socket: Socket, data: Buffer): Promise<void> {
  if (!socket.write(data)) await new Promise((resolve) => socket.once('drain', resolve));
}

/** How long a run may go without a message arriving before it fails (a lost message would hang it). */
const STALL_MS = 30_000;

/** Resolves after the `count`th call of the function it gives; rejects, saying how far it got, if they stop coming. */
function counter(count: number): { tick: () => void; done: Promise<void> } {
  let seen = 0;
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Checked every few seconds, not per message: a timer reset per message would weigh on what is measured.
  let lastSeen = -1;
  let quietSince = performance.now();
  const watchdog = setInterval(() => {
    if (seen !== lastSeen) [lastSeen, quietSince] = [seen, performance.now()];
    else if (performance.now() - quietSince > STALL_MS) reject(new Error(`received ${seen} of ${count} messages, then none for ${STALL_MS / 1000} s`));
  }, 1000);
  void done.finally(() => {
    clearInterval(watchdog);
  }).catch(() => undefined);
  return {
    tick: () => {
      if (++seen === count) resolve();
    },
    done,
  };
}

async function natsPair() {
  const { connect } = await import('@nats-io/transport-node');
  const { url, token } = natsFromEnvironment();
  const [a, b] = await Promise.all([connect({ servers: url, token }), connect({ servers: url, token })]);
  return { a, b, close: () => Promise.all([a.close(), b.close()]) };
}

async function throughput(variant: ClusterVariant, size: number, count: number): Promise<ThroughputResult> {
  const body = Buffer.alloc(size, 7);
  const received = counter(count);
  let started: number;
  if (variant === 'raw-socket') {
    const { client, server } = await rawPair(received.tick);
    const frame = rawFrame(body);
    started = performance.now();
    for (let i = 0; i < count; i++) await write(client, frame);
    await received.done;
    const elapsedMs = performance.now() - started;
    client.destroy();
    server.close();
    return { elapsedMs };
  }
  if (variant === 'raw-nats') {
    const { a, b, close } = await natsPair();
    b.subscribe('bench.b', { callback: received.tick });
    await b.flush();
    started = performance.now();
    for (let i = 0; i < count; i++) a.publish('bench.b', body);
    await received.done;
    const elapsedMs = performance.now() - started;
    await close();
    return { elapsedMs };
  }
  const { a, b, stop } = await twoNodes(variant);
  b.addSubscriber('bench', received.tick);
  started = performance.now();
  for (let i = 0; i < count; i++) await a.send('bench', body, 'n1');
  await received.done;
  const elapsedMs = performance.now() - started;
  await stop();
  return { elapsedMs };
}

async function rtt(variant: ClusterVariant, count: number): Promise<RttResult> {
  const times = await roundTrips(variant, count);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function roundTrips(variant: ClusterVariant, count: number): Promise<number[]> {
  const times: number[] = [];
  if (variant === 'raw-socket') {
    const { client, server } = await rawPair((frame, socket) => socket.write(rawFrame(frame)));
    let buffer: Buffer = Buffer.alloc(0);
    let waiting: (() => void) | undefined;
    client.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
        buffer = buffer.subarray(4 + buffer.readUInt32BE(0));
        waiting?.();
      }
    });
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
  if (variant === 'raw-nats') {
    const { a, b, close } = await natsPair();
    b.subscribe('bench.ping', {
      callback: (_error, message) => {
        message.respond(message.data);
      },
    });
    await b.flush();
    const payload = Buffer.alloc(8);
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await a.request('bench.ping', payload, { timeout: 5000 });
      times.push(performance.now() - started);
    }
    await close();
    return times;
  }
  const { a, b, stop } = await twoNodes(variant);
  b.addSubscriber('ping', (m) => m.body);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await a.sendAndReceive('ping', i, 'n1');
    times.push(performance.now() - started);
  }
  await stop();
  return times;
}

async function converge(transport: BenchTransport, count: number): Promise<ConvergeResult> {
  const nodes = await makeNodes(transport, count);
  const started = performance.now();
  await Promise.all(nodes.containers.map((c) => c.start()));
  await whenConverged(nodes.containers);
  const convergedMs = performance.now() - started;
  // Duplicate connections (two nodes dialling each other at once) are retired within a moment: count what stays.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const sockets = await establishedSockets();
  await nodes.stop();
  return { convergedMs, connectionsPerNode: sockets === undefined ? undefined : sockets / count };
}

const [measure, variant, ...numbers] = process.argv.slice(2) as [string, ClusterVariant, ...string[]];
const [first = 0, second = 0] = numbers.map(Number);
let result: ThroughputResult | RttResult | ConvergeResult;
if (measure === 'throughput') result = await throughput(variant, first, second);
else if (measure === 'rtt') result = await rtt(variant, first);
else if (measure === 'converge') result = await converge(variant as BenchTransport, first);
else throw new Error(`unknown measure ${measure}`);
// Exits once the line is written (a pipe takes it in pieces): a lingering timer must not hold the parent's run.
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
