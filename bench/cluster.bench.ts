import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { ClusterStore } from '../components/cluster/index.js';
import { ClusterCommunicationService, CommunicationManager, encodeFrame, FrameDecoder, FrameType } from '../components/messaging/index.js';
import { newNonce, proofFor, proofKey } from '../components/cluster/handshake.js';
import { Container } from '../src/index.js';
import { median, percentile } from './stats.js';
import { printTable, ratio } from './table.js';
import { rawFrame, rawPair } from './cluster/nodes.js';
import type { ClusterVariant, ConvergeResult, RttResult, ThroughputResult } from './cluster/ClusterVariant.js';
import { freePortsFrom } from '../scripts/ports.js';
import { startNatsServer, type NatsServer } from '../scripts/natsServer.js';

const run = promisify(execFile);
const VARIANT_SCRIPT = fileURLToPath(new URL('./cluster/variant.js', import.meta.url));
const ROUNDS = 3;

const us = (milliseconds: number): string => `${Math.round(milliseconds * 1000)} µs`;

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


/** Runs one variant in a fresh process: its one JSON line. */
async function inFreshProcess<T>(args: readonly (string | number)[], nats: NatsServer | undefined, token: string): Promise<T> {
  const env = { ...process.env, ...(nats && { LATTICE_BENCH_NATS_URL: nats.url, LATTICE_BENCH_NATS_TOKEN: token }) };
  const { stdout } = await run(process.execPath, [VARIANT_SCRIPT, ...args.map(String)], { env, maxBuffer: 1 << 20, timeout: 300_000 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as T;
}

/** `variants` measured `ROUNDS` times each, interleaved, each round in another order. */
async function rounds<T>(variants: readonly ClusterVariant[], measure: (variant: ClusterVariant) => Promise<T>): Promise<Map<ClusterVariant, T[]>> {
  const results = new Map<ClusterVariant, T[]>(variants.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length] as ClusterVariant;
      results.get(variant)?.push(await measure(variant));
    }
  }
  return results;
}

const LABELS: Record<ClusterVariant, string> = {
  tcp: 'Lattice over TCP (the mesh)',
  nats: 'Lattice over NATS',
  'raw-socket': 'raw framed net.Socket',
  'raw-nats': 'raw NATS client',
};

/** The median of each round's ratio of `variant` to `base`, or '' without either. */
function roundRatio<T>(results: Map<ClusterVariant, T[]>, variant: ClusterVariant, base: ClusterVariant, pick: (r: T) => number): string {
  const ours = results.get(variant);
  const theirs = results.get(base);
  if (!ours || !theirs || ours.length === 0 || theirs.length === 0) return '';
  return `${median(ours.map((r, i) => pick(r) / pick(theirs[i] as T))).toFixed(2)}x`;
}

/**
 * Node-to-node throughput, request/reply round trips and membership convergence, of Lattice over either
 * transport beside a raw framed socket and the raw NATS client; then the handshake and a peer that never
 * reads its replies. NATS rows need `nats-server` (apt-get install nats-server): without it they are left out, saying so.
 */
export async function benchCluster(): Promise<void> {
  const token = randomBytes(16).toString('hex');
  let nats: NatsServer | undefined;
  try {
    nats = await startNatsServer(['--auth', token]);
  } catch (error) {
    console.log(`\n(No NATS rows: ${(error as Error).message})`);
  }
  const variants: ClusterVariant[] = nats ? ['tcp', 'nats', 'raw-socket', 'raw-nats'] : ['tcp', 'raw-socket'];
  try {
    const rows: string[][] = [];
    for (const [size, count] of [
      [100, 200_000],
      [1024, 100_000],
    ] as const) {
      const results = await rounds(variants, (v) => inFreshProcess<ThroughputResult>(['throughput', v, size, count], nats, token));
      const rate = (v: ClusterVariant): string => {
        const elapsed = median((results.get(v) ?? []).map((r) => r.elapsedMs));
        return `${Math.round(count / (elapsed / 1000)).toLocaleString('en')} msg/s, ${((count * size) / (elapsed / 1000) / 1e6).toFixed(1)} MB/s`;
      };
      for (const v of variants) {
        rows.push([v === variants[0] ? `${size} B × ${count.toLocaleString('en')}` : '', LABELS[v], rate(v), roundRatio(results, v, 'raw-socket', (r) => r.elapsedMs), roundRatio(results, v, 'raw-nats', (r) => r.elapsedMs)]);
      }
    }
    printTable(
      `Node-to-node throughput (two nodes in one process on 127.0.0.1, or through a local nats-server; until the last message is received; each variant in a fresh process, ${ROUNDS} interleaved rounds, medians)`,
      ['messages', 'variant', 'rate', 'time ÷ raw socket', 'time ÷ raw NATS'],
      rows,
    );

    const rtts = await rounds(variants, (v) => inFreshProcess<RttResult>(['rtt', v, 5000], nats, token));
    const us1 = (v: ClusterVariant, pick: (r: RttResult) => number): string => us(median((rtts.get(v) ?? []).map(pick)));
    printTable(
      `Request/reply round trip (5,000 sequential requests; each variant in a fresh process, ${ROUNDS} interleaved rounds, medians)`,
      ['variant', 'p50', 'p99', 'p50 ÷ raw socket', 'p99 ÷ raw socket', 'p50 ÷ raw NATS', 'p99 ÷ raw NATS'],
      variants.map((v) => [
        LABELS[v],
        us1(v, (r) => r.p50),
        us1(v, (r) => r.p99),
        roundRatio(rtts, v, 'raw-socket', (r) => r.p50),
        roundRatio(rtts, v, 'raw-socket', (r) => r.p99),
        roundRatio(rtts, v, 'raw-nats', (r) => r.p50),
        roundRatio(rtts, v, 'raw-nats', (r) => r.p99),
      ]),
    );

    const transports = variants.filter((v) => v === 'tcp' || v === 'nats');
    const scaling: string[][] = [];
    for (const size of [3, 10, 30]) {
      const results = await rounds(transports, (v) => inFreshProcess<ConvergeResult>(['converge', v, size], nats, token));
      const cells = transports.flatMap((v) => {
        const runs = results.get(v) ?? [];
        const connections = runs[0]?.connectionsPerNode;
        return [`${median(runs.map((r) => r.convergedMs)).toFixed(0)} ms`, connections === undefined ? 'n/a' : String(Math.round(connections * 10) / 10)];
      });
      scaling.push([String(size), ...cells]);
    }
    printTable(
      `Membership: N nodes started at once in one process (cluster.json defaults: heartbeat 1 s); time until every node sees every other ACTIVE, and the TCP connections each then holds; ${ROUNDS} interleaved rounds, medians`,
      ['nodes', ...transports.flatMap((v) => [`${v === 'tcp' ? 'TCP mesh' : 'NATS'}: converged`, 'connections / node'])],
      scaling,
    );
  } finally {
    await nats?.stop();
  }
  // After the throughput runs, so that the flood below does not weigh on them.
  printTable('Handshake (a peer connecting to a node on 127.0.0.1, 200 times, median)', ['', 'Lattice', 'raw connect + ping-pong', 'ratio'], await handshakes(200));
  printTable('Replies a peer never reads (bytes queued for it at most; maxQueuedReplyBytes 64 MiB)', ['', 'Lattice', 'raw net.Socket server', 'ratio'], await unreadReplies(150_000, 700));
}
