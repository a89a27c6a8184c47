import { afterEach, describe, expect, test } from 'vitest';
import { ClusterStore } from '../../components/cluster/index.js';
import { CommunicationManager } from '../../components/messaging/index.js';
import { ClusterSendCommand } from '../../components/cluster/index.js';
import { CommandService } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { startNatsCluster, startNatsServer, type NatsServer } from '../../scripts/natsServer.js';
import { Recorder } from '../helpers/recorder.js';
import { nodeList, startNode, type TestNode } from './cluster-node.js';
import { freePorts } from '../helpers/ports.js';

const nodes: TestNode[] = [];
const servers: NatsServer[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.container.stop()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const TOKEN = 'a-token-for-the-nats-tests';

async function natsCluster(ids: string[], server: NatsServer, extra: Record<string, unknown> = {}): Promise<TestNode[]> {
  const settings = {
    nodes: ids.map((id, i) => ({ id, ip: '127.0.0.1', tcpPort: 20_000 + i })),
    transport: { nats: { servers: [server.url], token: TOKEN } },
    heartbeatMs: 50,
    failureTimeoutMs: 500,
    ...extra,
  };
  const started = await Promise.all(ids.map((id) => startNode(id, settings)));
  nodes.push(...started);
  for (const a of started) for (const b of started) if (a !== b) await a.whenState(b.id, 'ACTIVE');
  return started;
}

describe('the cluster over NATS', () => {
  test('nodes find each other through the server; messages, broadcast and request/reply work as over TCP; a node that stops is INACTIVE', async () => {
    const server = await startNatsServer(['--auth', TOKEN]);
    servers.push(server);
    const [a, b, c] = await natsCluster(['a', 'b', 'c.with.dots'], server);
    const got = new Recorder<string>();
    b!.messaging.addSubscriber('greet', (m) => {
      got.push(`${m.sender}:${String(m.body)}`);
    });
    c!.messaging.addSubscriber('greet', (m) => {
      got.push(`c:${m.sender}:${String(m.body)}`);
    });
    b!.messaging.addSubscriber('add', (m) => (m.body as number) + 1);
    expect(await a!.messaging.send('greet', 'hi', 'b')).toBe(true);
    await got.waitFor((items) => items.includes('a:hi'));
    expect((await a!.messaging.broadcast('greet', 'all')).sort()).toEqual(['b', 'c.with.dots']);
    await got.waitFor((items) => items.includes('a:all') && items.includes('c:a:all'));
    expect(await a!.messaging.sendAndReceive('add', 41, 'b')).toBe(42);
    await expect(a!.messaging.sendAndReceive('nobody', 1, 'b')).rejects.toThrow('no subscriber of "nobody" on node b answered');
    expect(await a!.messaging.send('greet', 'x', 'nowhere')).toBe(false);
    // In order, from one node to another.
    const seen: number[] = [];
    b!.messaging.addSubscriber('seq', (m) => {
      seen.push(m.body as number);
    });
    for (let i = 0; i < 1000; i++) void a!.messaging.send('seq', i, 'b');
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1000);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    await expect.poll(() => a!.store.getRoundTripMs('b'), { timeout: 10_000 }).toBeGreaterThanOrEqual(0);

    // A node that stops says so: INACTIVE at once, not after the failure timeout.
    await c!.container.stop();
    await a!.whenState('c.with.dots', 'INACTIVE');
    expect(a!.events.items.find((e) => e.type === 'node-deactivated' && e.node.id === 'c.with.dots')?.reason).toBe('it stopped its cluster connections');
    // A message over the server's max_payload (1 MB here) is refused, saying so.
    await expect(a!.messaging.send('greet', 'x'.repeat(1_100_000), 'b')).rejects.toThrow(/over the largest the NATS server takes \(1048576 bytes, its max_payload\)/);
  });

  test('no authentication is refused unless allowed; a wrong token is an activation error naming the server', async () => {
    const open = await startNatsServer();
    servers.push(open);
    const guarded = await startNatsServer(['--auth', TOKEN]);
    servers.push(guarded);
    const failureOf = async (nats: Record<string, unknown>): Promise<string | undefined> => {
      const { container } = testContainer({ nodeId: 'a' });
      await container.config.update('cluster', { nodes: [{ id: 'a', ip: '127.0.0.1' }], transport: { nats } });
      container.register(CommunicationManager, ClusterStore);
      await container.start();
      const info = await container.whenState('cluster', ['active', 'failed-activation']);
      await container.stop();
      return info.failure?.message;
    };
    expect(await failureOf({ servers: [open.url] })).toContain('transport.nats has no authentication (token, user and pass, or nkeySeed)');
    expect(await failureOf({ servers: [open.url], allowNoAuth: true })).toBeUndefined();
    // The client's reasons, each once (not "Authorization Violation: Authorization Violation").
    expect(await failureOf({ servers: [guarded.url], token: 'not-the-token' })).toBe(`cannot connect to the NATS server ${guarded.url}: Authorization Violation`);
    const nowhere = `nats://127.0.0.1:${(await freePorts(1))[0]}`;
    expect(await failureOf({ servers: [nowhere], token: TOKEN })).toBe(`cannot connect to the NATS server ${nowhere}: connection refused: connect ECONNREFUSED ${nowhere.slice('nats://'.length)}`);
    expect(await failureOf({ servers: [guarded.url], token: TOKEN })).toBeUndefined();
    const users = await startNatsServer(['--user', 'lattice', '--pass', 'a-pass-for-the-tests']);
    servers.push(users);
    expect(await failureOf({ servers: [users.url], user: 'lattice', pass: 'a-pass-for-the-tests' })).toBeUndefined();
    expect(await failureOf({ servers: [users.url], user: 'lattice', pass: 'wrong' })).toContain('cannot connect to the NATS server');
  });
  test('the NATS server killed and started again: nodes go INACTIVE, then reconnect and are ACTIVE again; nothing crashes', async () => {
    const first = await startNatsServer(['--auth', TOKEN]);
    const [a, b] = await natsCluster(['a', 'b'], first);
    const port = Number(new URL(first.url).port);
    await first.stop();
    await a!.whenState('b', 'INACTIVE');
    await b!.whenState('a', 'INACTIVE');
    expect(await a!.messaging.send('greet', 'lost', 'b')).toBe(false);
    const again = await startNatsServer(['--auth', TOKEN], port);
    servers.push(again);
    await a!.whenState('b', 'ACTIVE');
    await b!.whenState('a', 'ACTIVE');
    const got = new Recorder<unknown>();
    b!.messaging.addSubscriber('greet', (m) => {
      got.push(m.body);
    });
    expect(await a!.messaging.send('greet', 'back', 'b')).toBe(true);
    await got.waitFor((items) => items.includes('back'));
    expect(a!.container.component('cluster').state).toBe('active');
    expect(a!.logs.some((e) => e.msg === 'NATS connection lost; reconnecting')).toBe(true);
  });

  test('cluster.json switched from tcp to NATS and back at run time: the nodes follow; NATS secrets are masked', async () => {
    const server = await startNatsServer(['--auth', TOKEN]);
    servers.push(server);
    const ports = await freePorts(2);
    const tcp = { nodes: nodeList(['a', 'b'], ports), heartbeatMs: 50, failureTimeoutMs: 500 };
    const [a, b] = await Promise.all(['a', 'b'].map((id) => startNode(id, tcp)));
    nodes.push(a!, b!);
    await a!.whenState('b', 'ACTIVE');
    const nats = { ...tcp, transport: { nats: { servers: [server.url], token: TOKEN } } };
    await Promise.all([a!, b!].map((n) => n.container.config.update('cluster', nats)));
    await a!.whenState('b', 'ACTIVE');
    const got = new Recorder<unknown>();
    b!.messaging.addSubscriber('via', (m) => {
      got.push(m.body);
    });
    expect(await a!.messaging.send('via', 'nats', 'b')).toBe(true);
    await got.waitFor((items) => items.includes('nats'));
    const shown = a!.container.shownConfiguration(a!.container.config.get('cluster')!);
    expect(JSON.stringify(shown)).not.toContain(TOKEN);
    expect((shown.values as { transport: { nats: { token: string } } }).transport.nats.token).toBe('••••');

    // It is NATS that carries them now: without the server, b is INACTIVE.
    await server.stop();
    await a!.whenState('b', 'INACTIVE');

    await Promise.all([a!, b!].map((n) => n.container.config.update('cluster', tcp)));
    await a!.whenState('b', 'ACTIVE');
    expect(await a!.messaging.send('via', 'tcp', 'b')).toBe(true);
    await got.waitFor((items) => items.includes('tcp'));
  });

  test('a cluster of two NATS servers: nodes on different servers see each other; one server killed, its node moves to the other without going INACTIVE', async () => {
    const [first, second] = (await startNatsCluster(2, ['--auth', TOKEN])) as [NatsServer, NatsServer];
    servers.push(first, second);
    // Each node is given only its own server: the other it learns from the server (the cluster's gossip).
    const settings = (url: string) => ({ nodes: nodeList(['a', 'b'], [20_000, 20_001]), transport: { nats: { servers: [url], token: TOKEN } }, heartbeatMs: 100, failureTimeoutMs: 5000 });
    const [a, b] = await Promise.all([startNode('a', settings(first.url)), startNode('b', settings(second.url))]);
    nodes.push(a, b);
    await a.whenState('b', 'ACTIVE');
    await b.whenState('a', 'ACTIVE');
    b.messaging.addSubscriber('add', (m) => (m.body as number) + 1);
    expect(await a.messaging.sendAndReceive('add', 1, 'b')).toBe(2);
    // Where each is: its own server, and the other's as its heartbeats say.
    expect(a.store.getAddress('a')).toBe(first.url);
    await expect.poll(() => a.store.getAddress('b'), { timeout: 10_000 }).toBe(second.url);

    await first.stop();
    await expect.poll(() => a.logs.some((e) => e.msg === 'NATS connection back'), { timeout: 15_000 }).toBe(true);
    expect(await a.messaging.sendAndReceive('add', 2, 'b')).toBe(3);
    const got = new Recorder<unknown>();
    a.messaging.addSubscriber('greet', (m) => {
      got.push(m.body);
    });
    expect(await b.messaging.send('greet', 'still here', 'a')).toBe(true);
    await got.waitFor((items) => items.includes('still here'));
    expect(a.store.getAddress('a')).toBe(second.url);
    await expect.poll(() => b.store.getAddress('a'), { timeout: 10_000 }).toBe(second.url);
    // The move took less than the failure timeout: membership did not flap.
    expect([...a.events.items, ...b.events.items].filter((e) => e.type === 'node-deactivated')).toEqual([]);
  });

  test('a sender that outruns the server is held back: past 1 MiB queued, its send waits until the server has the bytes', async () => {
    const server = await startNatsServer(['--auth', TOKEN]);
    servers.push(server);
    const [a, b] = await natsCluster(['a', 'b'], server, { failureTimeoutMs: 60_000, heartbeatMs: 1000 });
    let received = 0;
    b!.messaging.addSubscriber('load', () => {
      received++;
    });
    server.process.kill('SIGSTOP');
    const body = 'x'.repeat(1024);
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < 2000; i++) {
        await a!.messaging.send('load', body, 'b');
        sent++;
      }
    })();
    // Unheld, the loop would finish within this turn (each send resolves at once); held, it waits for
    // the frozen server's answer to a flush, which cannot come.
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toBeGreaterThan(900);
    expect(sent).toBeLessThan(1100);
    server.process.kill('SIGCONT');
    await sending;
    await expect.poll(() => received, { timeout: 15_000 }).toBe(2000);
  });

  test('while the NATS connection is down, sends say no (the peer stays ACTIVE within the failure timeout); once it is back, yes', async () => {
    const first = await startNatsServer(['--auth', TOKEN]);
    const [a, b] = await natsCluster(['a', 'b'], first, { failureTimeoutMs: 60_000, heartbeatMs: 1000 });
    const port = Number(new URL(first.url).port);
    await first.stop();
    await expect.poll(() => a!.logs.some((e) => e.msg === 'NATS connection lost; reconnecting'), { timeout: 15_000 }).toBe(true);
    expect(a!.store.getState('b')).toBe('ACTIVE');
    // Its health check is down meanwhile: the node cannot reach the others.
    expect((await a!.container.readiness()).checks.find((c) => c.name === 'cluster')).toMatchObject({ status: 'down', detail: expect.stringMatching(/^the connection to the NATS server was lost \d+ s ago; reconnecting$/) as unknown });
    expect(await a!.messaging.send('greet', 'while down', 'b')).toBe(false);
    await expect(a!.messaging.sendAndReceive('greet', 'while down', 'b')).rejects.toThrow('no connection to node b');
    const again = await startNatsServer(['--auth', TOKEN], port);
    servers.push(again);
    await expect.poll(() => a!.logs.some((e) => e.msg === 'NATS connection back'), { timeout: 15_000 }).toBe(true);
    const got = new Recorder<unknown>();
    b!.messaging.addSubscriber('greet', (m) => {
      got.push(m.body);
    });
    // b may still be reconnecting (then its subscription is not back yet): until it is, a message can be lost.
    await expect.poll(() => b!.logs.some((e) => e.msg === 'NATS connection back'), { timeout: 15_000 }).toBe(true);
    expect(await a!.messaging.send('greet', 'back', 'b')).toBe(true);
    await got.waitFor((items) => items.includes('back'));
    expect((await a!.container.readiness()).checks.find((c) => c.name === 'cluster')).toMatchObject({ status: 'up', detail: '1 of 1 other nodes ACTIVE' });
  });

  test('a connection the client gives up on (the server now refuses its token): peers INACTIVE saying why, an error logged, sends say no, nothing thrown', async () => {
    const first = await startNatsServer(['--auth', TOKEN]);
    const [a] = await natsCluster(['a', 'b'], first);
    const port = Number(new URL(first.url).port);
    await first.stop();
    const other = await startNatsServer(['--auth', 'another-token-altogether'], port);
    servers.push(other);
    await a!.logRecorder.waitFor((items) => items.some((e) => e.msg.startsWith('the NATS connection closed for good')), 30_000);
    expect(a!.logs.find((e) => e.msg.startsWith('the NATS connection closed for good'))?.msg).toContain('until transport in config/cluster.json changes or the cluster component is restarted (lattice component restart cluster)');
    expect(a!.store.getState('b')).toBe('INACTIVE');
    expect(a!.events.items.find((e) => e.type === 'node-deactivated')?.reason).toMatch(/^(the NATS connection closed|no heartbeat for)/);
    expect(await a!.messaging.send('greet', 'x', 'b')).toBe(false);
    const readiness = await a!.container.readiness();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.find((c) => c.name === 'cluster')?.detail).toMatch(/^the NATS connection closed for good \(.+\); restart the cluster component, or change transport in config\/cluster.json$/);
  });

  test('mistakes said out loud: a node that sends as this one, a sender this node does not list, a send to an unknown node or to itself; a stopped node keeps its last heard; a tcpPort edit changes nothing over NATS', async () => {
    const server = await startNatsServer(['--auth', TOKEN]);
    servers.push(server);
    const [a, b] = await natsCluster(['a', 'b'], server);
    // A third process, started as "a" by mistake.
    const twin = await startNode('a', { nodes: nodeList(['a', 'b'], [20_000, 20_001]), transport: { nats: { servers: [server.url], token: TOKEN } }, heartbeatMs: 50, failureTimeoutMs: 500 });
    nodes.push(twin);
    await a!.logRecorder.waitFor((items) => items.some((e) => e.msg.startsWith('another process on the NATS cluster "lattice" sends as this node (a): two nodes started with the same --node-id?')));
    await twin.container.stop();
    // c is not listed by a or b.
    const c = await startNode('c', { nodes: nodeList(['a', 'b', 'c'], [20_000, 20_001, 20_002]), transport: { nats: { servers: [server.url], token: TOKEN } }, heartbeatMs: 50, failureTimeoutMs: 500 });
    nodes.push(c);
    // Warned once; the drops after it (c's next heartbeats) at debug level.
    await b!.logRecorder.waitFor((items) => items.filter((e) => e.msg === 'dropped a message from unlisted node c').length >= 2);
    expect(b!.logs.filter((e) => e.msg.startsWith('dropped a message from c, which config/cluster.json does not list here (it is warned once)')).length).toBe(1);

    a!.container.register(ClusterSendCommand);
    await a!.container.settled();
    const send = (await a!.container.getServices(CommandService)).find((command) => command.scope === 'cluster' && command.name === 'send')!;
    await expect(Promise.resolve(send.run(['zz', 'greet', '1'], {}))).rejects.toThrow('there is no node zz in the cluster (lattice cluster nodes lists them)');
    await expect(Promise.resolve(send.run(['a', 'greet', '1'], {}))).rejects.toThrow('node a is this node: send to another (lattice cluster nodes lists them)');

    // A tcpPort edit is the TCP mesh's business: the NATS connection stays, b stays ACTIVE.
    const events = a!.events.items.length;
    await a!.container.config.update('cluster', { nodes: nodeList(['a', 'b'], [20_100, 20_001]), transport: { nats: { servers: [server.url], token: TOKEN } }, heartbeatMs: 50, failureTimeoutMs: 500 });
    expect(a!.store.getLocalNode().tcpPort).toBe(20_100);
    expect(a!.events.items.slice(events).filter((e) => e.type === 'node-deactivated')).toEqual([]);

    // b stops: INACTIVE at once, and when it was last heard stays known.
    await b!.container.stop();
    await a!.whenState('b', 'INACTIVE');
    expect(a!.store.getLastHeard('b')).toBeGreaterThan(0);
  });
});
