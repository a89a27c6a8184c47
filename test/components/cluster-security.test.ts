import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { encodeFrame, FRAME_MARKER, FrameDecoder, FrameType, type Frame } from '../../components/messaging/FrameCodec.js';
import { ClusterConfigSchema, maxQueuedReplyBytesOf } from '../../components/cluster/ClusterConfig.js';
import { newNonce } from '../../components/cluster/handshake.js';
import { freePorts } from '../helpers/ports.js';
import { Recorder } from '../helpers/recorder.js';
import { nodeList, startNode, type TestNode } from './cluster-node.js';

const nodes: TestNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.container.stop()));
});

/** A hand-made peer: a socket, the frames it received, and a promise of its closing. */
function rawPeer(port: number) {
  const socket = connect({ host: '127.0.0.1', port });
  const decoder = new FrameDecoder();
  const frames = new Recorder<Frame>();
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk).frames) frames.push(frame);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => {
    resolve();
  }));
  const next = (type: FrameType): Promise<Frame> => frames.next((f) => f.type === type);
  return { socket, frames, next, closed };
}

function header(type: FrameType, length: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64BE(FRAME_MARKER, 0);
  bytes.writeUInt32BE(type, 8);
  bytes.writeUInt32BE(length, 12);
  return bytes;
}

function written(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => socket.write(bytes, () => {
    resolve();
  }));
}

describe('cluster handshake security (regressions from review)', () => {
  test('offline guessing: a stranger naming a listed node gets HELLO but no proof; the node proves itself only after the connecting side did', async () => {
    const ports = await freePorts(2);
    const secret = 'correct horse battery staple';
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startNode(id, { nodes: nodeList(['a', 'b'], ports), secret, heartbeatMs: 100, failureTimeoutMs: 600 })));
    nodes.push(a!, b!);
    await a!.whenState('b', 'ACTIVE');
    const got = new Recorder<string>();
    b!.messaging.addSubscriber('admin.cmd', (m) => {
      got.push(`${m.sender}:${String(m.body)}`);
    });

    // A relay tells B it is "a" with A's challenge, and A it is "b" with B's: neither proves anything
    // to a connecting side that has not proved itself, so there is nothing to relay, nor to guess at.
    const toA = rawPeer(ports[0]!);
    const toB = rawPeer(ports[1]!);
    const nonceOf = (hello: Frame): Uint8Array => (hello.payload.b as { nonce: Uint8Array }).nonce;
    const nonceA = nonceOf(await toA.next(FrameType.HELLO));
    const nonceB = nonceOf(await toB.next(FrameType.HELLO));
    await written(toB.socket, encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'a', b: { ip: '127.0.0.1', tcpPort: ports[0], nonce: nonceA, v: 3, auth: true } }));
    await written(toA.socket, encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'b', b: { ip: '127.0.0.1', tcpPort: ports[1], nonce: nonceB, v: 3, auth: true } }));
    // A wrong proof is refused, and nothing came back before it.
    toB.socket.write(encodeFrame(FrameType.AUTH, { s: 'AUTH', n: 'a', b: { proof: new Uint8Array(32) } }));
    toB.socket.write(encodeFrame(FrameType.MESSAGE, { s: 'admin.cmd', n: 'a', b: 'rm -rf' }));
    await toB.closed;
    await b!.logRecorder.next((e) => e.level === 40 && e.msg.includes('node a failed authentication'));
    toA.socket.destroy();
    expect([...toA.frames.items, ...toB.frames.items].map((f) => f.type)).toEqual([FrameType.HELLO, FrameType.HELLO]);

    // The real link is untouched, and only the real "a" is heard.
    expect(await a!.messaging.send('admin.cmd', 'real', 'b')).toBe(true);
    await got.waitFor((items) => items.length > 0);
    expect(got.items).toEqual(['a:real']);
    expect(b!.store.getState('a')).toBe('ACTIVE');
  });

  test('before the handshake, a frame other than HELLO/AUTH, or a large one, is refused from its header alone', async () => {
    const [port] = await freePorts(1);
    const a = await startNode('a', { nodes: nodeList(['a'], [port!]), secret: 'a-long-enough-secret', handshakeTimeoutMs: 60_000 });
    nodes.push(a);
    // Each announces 16 MiB and sends only the header: the node must not wait to buffer the body.
    const message = rawPeer(port!);
    await written(message.socket, header(FrameType.MESSAGE, 16 * 1024 * 1024));
    await message.closed;
    await a.logRecorder.next((e) => e.level === 40 && e.msg.includes('sent a frame of type 3 before completing the handshake; refused'));
    const hello = rawPeer(port!);
    await written(hello.socket, header(FrameType.HELLO, 16 * 1024 * 1024));
    await hello.closed;
    await a.logRecorder.next((e) => e.level === 40 && /sent a 16777216-byte handshake frame \(at most 4096\); refused/.test(e.msg));
  });

  test('a HELLO and messages in one TCP chunk: the gate follows the handshake frame by frame', async () => {
    const [port, peerPort] = await freePorts(2);
    const a = await startNode('a', { nodes: nodeList(['a', 'p'], [port!, peerPort!]), reconnect: { initialMs: 60_000, maxMs: 60_000 } });
    nodes.push(a);
    const got = new Recorder<unknown>();
    a.messaging.addSubscriber('early', (m) => {
      got.push(m.body);
    });
    const peer = rawPeer(port!);
    await peer.next(FrameType.HELLO);
    peer.socket.write(Buffer.concat([
      encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'p', b: { ip: '127.0.0.1', tcpPort: peerPort, nonce: newNonce(), v: 3, auth: false } }),
      encodeFrame(FrameType.MESSAGE, { s: 'early', n: 'p', b: 1 }),
      encodeFrame(FrameType.MESSAGE, { s: 'early', n: 'p', b: 2 }),
    ]));
    await got.waitFor((items) => items.length === 2);
    expect(got.items).toEqual([1, 2]);
    peer.socket.destroy();
  });

  test('a HELLO whose node id carries terminal escapes is refused, and the log shows the id escaped', async () => {
    const [port] = await freePorts(1);
    const a = await startNode('a', { nodes: nodeList(['a'], [port!]), acceptUnknownNodes: true });
    nodes.push(a);
    const evil = rawPeer(port!);
    evil.socket.write(encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'evil\u001b]0;pwned\u0007', b: { ip: '127.0.0.1', tcpPort: 1, nonce: newNonce(), v: 3, auth: false } }));
    await evil.closed;
    const line = await a.logRecorder.next((e) => e.level === 40 && e.msg.includes('gave a node id that is not one'));
    expect(line.msg).toContain('("evil\\u001b]0;pwned\\u0007")');
    expect(line.msg).not.toContain('\u001b');
    expect(a.store.getNodes().map((n) => n.id)).toEqual(['a']);
  });

  test('a flood of refused connections from one address makes one warning, then one line with the count', async () => {
    const [port] = await freePorts(1);
    const a = await startNode('a', { nodes: nodeList(['a'], [port!]), refusalLogIntervalMs: 500 });
    nodes.push(a);
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          const garbage = rawPeer(port!);
          garbage.socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
          await garbage.closed;
        }),
      );
    }
    const summary = await a.logRecorder.next((e) => e.level === 40 && e.msg.startsWith('refused 199 more connections from 127.0.0.1'));
    expect(summary.refused).toBe(199);
    expect(a.logRecorder.items.filter((e) => e.level === 40 && e.remote === '127.0.0.1')).toHaveLength(2);
  });

  test('lock-out: 64 slow connections from 8 addresses, trickling HELLO, keep no listed node out, and are cut for making no progress', async () => {
    const [port, nobody] = await freePorts(2);
    // b is listed at a port nobody listens on: it can only come in, as the hand-made peer below.
    const a = await startNode('a', { nodes: nodeList(['a', 'b'], [port!, nobody!]), handshakeTimeoutMs: 60_000, refusalLogIntervalMs: 60_000 });
    nodes.push(a);
    const hello = encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'slow', b: { ip: '127.0.0.1', tcpPort: 1, nonce: newNonce(), v: 3, auth: false } });
    const slow = Array.from({ length: 64 }, (_, i) => {
      const socket = connect({ host: '127.0.0.1', port: port!, localAddress: `127.0.0.${2 + (i % 8)}` });
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      let sent = 0;
      const trickle = setInterval(() => {
        if (sent < hello.length - 1) socket.write(hello.subarray(sent, ++sent));
      }, 50);
      const closed = new Promise<void>((resolve) =>
        socket.on('close', () => {
          clearInterval(trickle);
          resolve();
        }),
      );
      return { socket, closed, connected: new Promise((resolve) => socket.once('connect', resolve)) };
    });
    await Promise.all(slow.map((s) => s.connected));
    // The listed node b, from its own address, comes in and binds all the same.
    const b = rawPeer(port!);
    await b.next(FrameType.HELLO);
    b.socket.write(encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'b', b: { ip: '127.0.0.1', tcpPort: nobody, nonce: newNonce(), v: 3, auth: false } }));
    await a.whenState('b', 'ACTIVE');
    // The slow ones are cut for saying no HELLO in time, long before the handshake timeout.
    await Promise.all(slow.map((s) => s.closed));
    expect(a.logRecorder.items.some((e) => typeof e.msg === 'string' && e.msg.includes('within 1000 ms'))).toBe(true);
    b.socket.destroy();
  });

  test('a peer speaking another protocol version is refused with a message that says so', async () => {
    const [port] = await freePorts(1);
    const a = await startNode('a', { nodes: nodeList(['a', 'old'], [port!, 1]), secret: 'a-long-enough-secret' });
    nodes.push(a);
    const old = rawPeer(port!);
    old.socket.write(encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'old', b: { ip: '127.0.0.1', tcpPort: 1, nonce: newNonce(), v: 1, auth: true } }));
    await old.closed;
    await a.logRecorder.next((e) => e.level === 40 && e.msg.includes('old (127.0.0.1:') && e.msg.includes('speaks cluster protocol version 1; this node speaks 3'));
  });

  test('connections still in their handshake are capped per address', async () => {
    const [port] = await freePorts(1);
    const a = await startNode('a', { nodes: nodeList(['a'], [port!]), handshakeTimeoutMs: 60_000 });
    nodes.push(a);
    const idle = Array.from({ length: 8 }, () => rawPeer(port!));
    await Promise.all(idle.map((p) => p.next(FrameType.HELLO)));
    const ninth = rawPeer(port!);
    await ninth.closed;
    await a.logRecorder.next((e) => e.level === 40 && e.msg.includes('too many connections from that address still in their handshake (8)'));
    // Once one of them is gone, a new connection is served again.
    const closedLogs = a.logRecorder.items.filter((e) => e.msg.includes('cluster connection closed')).length;
    idle[0]!.socket.destroy();
    await a.logRecorder.waitFor((items) => items.filter((e) => e.msg.includes('cluster connection closed')).length > closedLogs);
    const tenth = rawPeer(port!);
    await tenth.next(FrameType.HELLO);
    for (const p of [...idle, tenth]) p.socket.destroy();
  });

  test('an unknown node joins only once it has proved the secret, and is forgotten when it disconnects', async () => {
    const [port, strangerPort] = await freePorts(2);
    const secret = 'a-long-enough-secret';
    const a = await startNode('a', { nodes: nodeList(['a'], [port!]), secret, acceptUnknownNodes: true });
    nodes.push(a);

    // Without the secret: HELLO alone must not make it a member.
    const impostor = rawPeer(port!);
    await impostor.next(FrameType.HELLO);
    impostor.socket.write(encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'stranger', b: { ip: '127.0.0.1', tcpPort: strangerPort, nonce: newNonce(), v: 3, auth: true } }));
    impostor.socket.write(encodeFrame(FrameType.AUTH, { s: 'AUTH', n: 'stranger', b: { proof: new Uint8Array(32) } }));
    await impostor.closed;
    expect(a.store.getNode('stranger')).toBeUndefined();
    expect(a.events.items.some((e) => e.type === 'node-added')).toBe(false);

    // An address that is not one is refused outright.
    const badAddress = rawPeer(port!);
    badAddress.socket.write(encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'odd', b: { ip: 'not-an-ip', tcpPort: 70000, nonce: newNonce(), v: 3, auth: true } }));
    await badAddress.closed;
    await a.logRecorder.next((e) => e.level === 40 && e.msg.includes('gave an unusable address not-an-ip:70000; refused'));

    // With the secret it joins, and leaves with its connection.
    const stranger = await startNode('stranger', { nodes: [{ id: 'stranger', ip: '127.0.0.1', tcpPort: strangerPort }, { id: 'a', ip: '127.0.0.1', tcpPort: port }], secret });
    await a.whenState('stranger', 'ACTIVE');
    expect(a.store.getNode('stranger')).toEqual({ id: 'stranger', ip: '127.0.0.1', tcpPort: strangerPort });
    await stranger.container.stop();
    const removed = await a.events.next((e) => e.type === 'node-removed' && e.node.id === 'stranger');
    expect(removed.reason).toBe('an unknown node that disconnected');
    expect(a.store.getNode('stranger')).toBeUndefined();
    expect(a.store.getNodes().map((n) => n.id)).toEqual(['a']);
  });

  test('a message larger than maxFrameBytes is refused at the sender, and the connection stays up', async () => {
    const ports = await freePorts(2);
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startNode(id, { nodes: nodeList(['a', 'b'], ports), maxFrameBytes: 4096 })));
    nodes.push(a!, b!);
    await a!.whenState('b', 'ACTIVE');
    await expect(a!.messaging.send('big', 'x'.repeat(10_000), 'b')).rejects.toThrow(/over the largest frame \(4096 bytes, maxFrameBytes in cluster\.json\)/);
    const got = new Recorder<unknown>();
    b!.messaging.addSubscriber('small', (m) => {
      got.push(m.body);
    });
    expect(await a!.messaging.send('small', 'fits', 'b')).toBe(true);
    await got.waitFor((items) => items.includes('fits'));
    expect(a!.store.getState('b')).toBe('ACTIVE');
  });

  test('property: after HELLO, random frames, corrupted, truncated and split anywhere, never crash a node, and its real link keeps working', async () => {
    const ports = await freePorts(3);
    // "p" is listed, and played by the test: a bound connection, then whatever bytes fast-check makes.
    const list = nodeList(['a', 'b', 'p'], ports);
    const timing = { heartbeatMs: 100, failureTimeoutMs: 2000, reconnect: { initialMs: 5000, maxMs: 5000 } };
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startNode(id, { nodes: list, ...timing })));
    nodes.push(a!, b!);
    await a!.whenState('b', 'ACTIVE');
    const frame = fc
      .record({ type: fc.constantFrom(FrameType.MESSAGE, FrameType.REPLY, FrameType.ECHO, FrameType.HELLO, FrameType.AUTH), s: fc.string(), b: fc.jsonValue({ maxDepth: 3 }), i: fc.option(fc.nat()) })
      .map(({ type, s: subject, b: body, i }) => encodeFrame(type, { s: subject, n: 'p', b: body, ...(i !== null && { i }) }));
    const damage = fc.record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      inserted: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 32 }))),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 6 }), damage, fc.array(fc.nat(), { maxLength: 5 }), async (frames, { flips, cut, inserted }, cuts) => {
        let bytes = Buffer.concat(frames);
        for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
        if (inserted !== null) bytes = Buffer.concat([bytes.subarray(0, inserted[0] % (bytes.length + 1)), inserted[1], bytes.subarray(inserted[0] % (bytes.length + 1))]);
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        const peer = rawPeer(ports[0]!);
        await written(peer.socket, encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'p', b: { ip: '127.0.0.1', tcpPort: ports[2], nonce: newNonce(), v: 3, auth: false } }));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
        let from = 0;
        for (const point of [...points, bytes.length]) {
          if (peer.socket.destroyed) break;
          await written(peer.socket, bytes.subarray(from, point));
          from = point;
        }
        peer.socket.end();
        await peer.closed;
      }),
      { numRuns: 150 },
    );
    // Still serving its real peer, and nothing went wrong inside.
    const got = new Recorder<unknown>();
    a!.messaging.addSubscriber('after-fuzz', (m) => {
      got.push(m.body);
    });
    expect(await b!.messaging.send('after-fuzz', 'alive', 'a')).toBe(true);
    await got.waitFor((items) => items.includes('alive'));
    expect(a!.store.getState('b')).toBe('ACTIVE');
    expect(a!.errors()).toEqual([]);
  }, 120_000);
});

describe('backpressure on what a node sends', () => {
  test('a peer that sends requests and never reads the replies: past maxQueuedReplyBytes it is not read from, then dropped by the failure detector; the node stays up; the bound changes live', async () => {
    const ports = await freePorts(2);
    const maxQueuedReplyBytes = 256 * 1024;
    const settings = { nodes: nodeList(['a', 'b'], ports), heartbeatMs: 100, failureTimeoutMs: 1000, maxFrameBytes: 65_536 };
    // Set after the start: a bound edited live applies to the connections open and to come.
    const a = await startNode('a', { ...settings, maxQueuedReplyBytes: 64 * 1024 * 1024 });
    await a.container.config.update('cluster', { ...settings, maxQueuedReplyBytes });
    await a.container.settled();
    nodes.push(a);
    const reply = 'r'.repeat(16 * 1024);
    a.messaging.addSubscriber('ask', () => reply);

    const b = rawPeer(ports[0]!);
    await b.next(FrameType.HELLO);
    await written(b.socket, encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'b', b: { ip: '127.0.0.1', tcpPort: ports[1], nonce: newNonce(), v: 3, auth: false } }));
    await a.whenState('b', 'ACTIVE');
    // b stops reading: the replies fill the kernel's buffers, then the node's queue.
    b.socket.pause();
    const requests = Buffer.concat(Array.from({ length: 3000 }, (_, i) => encodeFrame(FrameType.MESSAGE, { s: 'ask', n: 'b', b: i, i: i + 1 })));
    b.socket.write(requests);
    await a.logRecorder.next((e) => e.level === 20 && e.msg.startsWith('b is slow to read the replies to its requests'), 30_000);
    const warning = await a.logRecorder.next((e) => e.level === 40 && e.msg.includes('does not read the replies'), 30_000);
    expect(warning.msg).toMatch(new RegExp(`^b does not read the replies to its requests: \\d+ bytes of them have waited \\d+ ms \\(over maxQueuedReplyBytes, ${maxQueuedReplyBytes}, so its frames were not read meanwhile; failure timeout 1000 ms\\)$`));
    // Past the bound, the node handled no more requests: what waits is the bound and one reply at most.
    expect(warning.waitingBytes as number).toBeLessThanOrEqual(maxQueuedReplyBytes + reply.length + 64);
    await a.whenState('b', 'INACTIVE');
    expect(a.container.component('cluster').state).toBe('active');
    b.socket.destroy();
  });

  test('heartbeats are answered at most every 10 ms: a flood of them makes no flood of answers', async () => {
    const ports = await freePorts(2);
    const a = await startNode('a', { nodes: nodeList(['a', 'b'], ports), heartbeatMs: 100, failureTimeoutMs: 5000 });
    nodes.push(a);
    const pinged = new Recorder<unknown>();
    a.messaging.addSubscriber('ping', (m) => {
      pinged.push(m.body);
      return 'pong';
    });
    const b = rawPeer(ports[0]!);
    await b.next(FrameType.HELLO);
    await written(b.socket, encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'b', b: { ip: '127.0.0.1', tcpPort: ports[1], nonce: newNonce(), v: 3, auth: false } }));
    await a.whenState('b', 'ACTIVE');
    const started = performance.now();
    const echoes = Buffer.concat(Array.from({ length: 100_000 }, (_, i) => encodeFrame(FrameType.ECHO, { s: 'ECHO', n: 'b', b: { at: i } })));
    // The request after them is handled after every one of them, and its reply written after their answers.
    await written(b.socket, Buffer.concat([echoes, encodeFrame(FrameType.MESSAGE, { s: 'ping', n: 'b', b: 1, i: 1 })]));
    await pinged.waitFor((items) => items.length === 1, 30_000);
    await b.next(FrameType.REPLY);
    const elapsed = performance.now() - started;
    const answers = b.frames.items.filter((f) => f.type === FrameType.ECHO && typeof (f.payload.b as { re?: unknown } | undefined)?.re === 'number');
    expect(answers.length).toBeGreaterThanOrEqual(1);
    expect(answers.length).toBeLessThanOrEqual(elapsed / 10 + 1);
    b.socket.destroy();
  });

  test('a peer that reads, asking for more replies at once than the bound: all are answered, it is only read more slowly', async () => {
    const ports = await freePorts(2);
    const settings = { heartbeatMs: 100, failureTimeoutMs: 2000, maxFrameBytes: 1024 * 1024, maxQueuedReplyBytes: 1024 * 1024 };
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startNode(id, { nodes: nodeList(['a', 'b'], ports), ...settings })));
    nodes.push(a!, b!);
    await Promise.all([a!.whenState('b', 'ACTIVE'), b!.whenState('a', 'ACTIVE')]);
    const big = 'r'.repeat(256 * 1024);
    a!.messaging.addSubscriber('big', (m) => `${String(m.body)}:${big}`);
    // 100 replies of 256 KiB = 25 MiB asked for at once, against a bound of 1 MiB.
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => b!.messaging.sendAndReceive<string>('big', i, 'a', { timeoutMs: 60_000 })));
    expect(replies.map((r) => r.slice(0, r.indexOf(':')))).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(a!.logs.some((e) => e.level === 20 && e.msg.startsWith('b is slow to read the replies'))).toBe(true);
    expect(a!.logs.filter((e) => e.level >= 40)).toEqual([]);
    expect(a!.store.getState('b')).toBe('ACTIVE');
  });

  test('what a node sends of its own accord is not held to the bound: 8 MiB of sends nobody awaits, in one tick, all arrive', async () => {
    const ports = await freePorts(2);
    const settings = { heartbeatMs: 100, failureTimeoutMs: 10_000, maxFrameBytes: 65_536, maxQueuedReplyBytes: 65_536 };
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startNode(id, { nodes: nodeList(['a', 'b'], ports), ...settings })));
    nodes.push(a!, b!);
    await a!.whenState('b', 'ACTIVE');
    const got = new Recorder<number>();
    b!.messaging.addSubscriber('burst', (m) => {
      got.push((m.body as { i: number }).i);
    });
    const body = 'x'.repeat(1024);
    const sends = Array.from({ length: 8 * 1024 }, (_, i) => a!.messaging.send('burst', { i, body }, 'b'));
    expect((await Promise.all(sends)).every(Boolean)).toBe(true);
    await got.waitFor((items) => items.length === 8 * 1024, 30_000);
    expect(got.items).toEqual(Array.from({ length: 8 * 1024 }, (_, i) => i));
    expect(a!.logs.filter((e) => e.level >= 40)).toEqual([]);
  });

  test('maxQueuedReplyBytes below maxFrameBytes is refused: one frame must fit', () => {
    const checked = ClusterConfigSchema.safeParse({ maxFrameBytes: 65_536, maxQueuedReplyBytes: 1024 });
    expect(checked.success).toBe(false);
    expect(checked.error?.issues[0]).toMatchObject({ path: ['maxQueuedReplyBytes'], message: 'must be at least maxFrameBytes (65536): one frame of that size must fit' });
    expect(maxQueuedReplyBytesOf(ClusterConfigSchema.parse({}))).toBe(64 * 1024 * 1024);
    expect(maxQueuedReplyBytesOf(ClusterConfigSchema.parse({ maxFrameBytes: 100 * 1024 * 1024 }))).toBe(200 * 1024 * 1024);
  });
});
