import { readFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ClusterService } from '../../components/cluster/api.js';
import { ClusterConfigSchema } from '../../components/cluster/ClusterConfig.js';
import { ClusterStore } from '../../components/cluster/index.js';
import { localIdentity } from '../../components/cluster/localIdentity.js';
import { CommunicationManager } from '../../components/messaging/index.js';
import { testContainer } from '../helpers/container.js';
import { writeFiles } from '../helpers/distribution.js';
import { rejectionOf } from '../helpers/errors.js';
import { tempHomes } from '../helpers/tempHome.js';
import { freePorts } from '../helpers/ports.js';
import { nodeList, startNode, type TestNode } from './cluster-node.js';
import { reconnectDelay } from '../../components/cluster/reconnectDelay.js';
import { newNonce } from '../../components/cluster/handshake.js';
import { encodeFrame, FrameType } from '../../components/messaging/FrameCodec.js';

const nodes: TestNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.container.stop()));
});

const config = (raw: object) => ClusterConfigSchema.parse(raw);

describe('which node this is', () => {
  const two = config({ nodes: [{ id: 'a', ip: '10.0.0.1' }, { id: 'b', ip: '10.0.0.2', tcpPort: 9000 }] });

  test('the node id (--node-id, LATTICE_NODE_ID) first, then the node with LATTICE_IP, then the only node listed', () => {
    expect(localIdentity(two, { nodeId: 'b', ip: '10.0.0.1' })).toEqual({ id: 'b', ip: '10.0.0.2', tcpPort: 9000 });
    expect(localIdentity(two, { ip: '10.0.0.1' })).toEqual({ id: 'a', ip: '10.0.0.1', tcpPort: 9876 });
    expect(localIdentity(config({ nodes: [{ id: 'solo', ip: '10.0.0.5' }] }), {})).toEqual({ id: 'solo', ip: '10.0.0.5', tcpPort: 9876 });
  });

  test('no nodes listed: a single local node on 127.0.0.1, so one container runs alone', () => {
    expect(localIdentity(config({}), {})).toEqual({ id: 'local', ip: '127.0.0.1', tcpPort: 9876 });
    expect(localIdentity(config({}), { nodeId: 'n1' })).toEqual({ id: 'n1', ip: '127.0.0.1', tcpPort: 9876 });
  });

  test("LATTICE_IP that no node has: the seed's fall-back, a node of its own at that ip", () => {
    expect(localIdentity(two, { ip: '10.0.0.9' })).toEqual({ id: '10.0.0.9', ip: '10.0.0.9', tcpPort: 9876 });
  });

  test('what it cannot tell is an error saying what to set', () => {
    expect(() => localIdentity(two, {})).toThrow('config/cluster.json lists 2 nodes (a, b); start with --node-id (or set LATTICE_NODE_ID) to say which one this is');
    expect(() => localIdentity(two, { nodeId: 'z' })).toThrow('this node\'s id is "z", but config/cluster.json lists no such node (it lists a, b); add it, or start with the right --node-id');
    const shared = config({ nodes: [{ id: 'a', ip: '10.0.0.1' }, { id: 'b', ip: '10.0.0.1', tcpPort: 9000 }] });
    expect(() => localIdentity(shared, { ip: '10.0.0.1' })).toThrow('several nodes of config/cluster.json share; start with --node-id');
  });

  test('LATTICE_NODE_ID names the node when the container has no node id of its own', async () => {
    const ports = await freePorts(2);
    const previous = process.env.LATTICE_NODE_ID;
    process.env.LATTICE_NODE_ID = 'b';
    try {
      const t = testContainer();
      await t.container.config.update('cluster', { nodes: nodeList(['a', 'b'], ports) });
      t.container.register(CommunicationManager, ClusterStore);
      await t.container.start();
      await t.container.whenActive('cluster');
      const store = (await t.container.getService(ClusterService)) as ClusterService;
      expect(store.getLocalNode()).toEqual({ id: 'b', ip: '127.0.0.1', tcpPort: ports[1] });
      await t.container.stop();
    } finally {
      if (previous === undefined) delete process.env.LATTICE_NODE_ID;
      else process.env.LATTICE_NODE_ID = previous;
    }
  });

  test('a node that is not listed (LATTICE_IP fall-back) runs, and says that the listed nodes will refuse it', async () => {
    const [port] = await freePorts(1);
    const previous = process.env.LATTICE_IP;
    process.env.LATTICE_IP = '127.0.0.3';
    try {
      const t = testContainer();
      await t.container.config.update('cluster', { nodes: [{ id: 'a', ip: '127.0.0.2', tcpPort: port }] });
      t.container.register(CommunicationManager, ClusterStore);
      await t.container.start();
      await t.container.whenActive('cluster');
      const store = (await t.container.getService(ClusterService)) as ClusterService;
      expect(store.getLocalNode()).toEqual({ id: '127.0.0.3', ip: '127.0.0.3', tcpPort: 9876 });
      expect(t.logs.some((e) => e.level === 40 && e.msg.includes('this node (127.0.0.3 at 127.0.0.3:9876) is not listed in config/cluster.json'))).toBe(true);
      await t.container.stop();
    } finally {
      if (previous === undefined) delete process.env.LATTICE_IP;
      else process.env.LATTICE_IP = previous;
    }
  });
});

describe('membership at run time', () => {
  test('addNode connects to a node for as long as this one runs; removeNode disconnects it, events naming its address', async () => {
    const ports = await freePorts(2);
    const timing = { heartbeatMs: 100, failureTimeoutMs: 600, reconnect: { initialMs: 20, maxMs: 100 } };
    const a = await startNode('a', { nodes: nodeList(['a'], ports), ...timing });
    const b = await startNode('b', { nodes: nodeList(['a', 'b'], ports), ...timing });
    nodes.push(a, b);
    expect(() => a.store.addNode('b', 'not an ip', ports[1])).toThrow('cannot add node "b" at not an ip:');
    const added = a.store.addNode('b', '127.0.0.1', ports[1]);
    expect(added).toEqual({ id: 'b', ip: '127.0.0.1', tcpPort: ports[1] });
    await a.whenState('b', 'ACTIVE');
    expect(a.events.items.find((e) => e.type === 'node-added')?.node).toEqual(added);

    a.store.removeNode('b');
    const down = await a.events.next((e) => e.type === 'node-deactivated' && e.node.id === 'b');
    expect(down.node).toEqual(added);
    expect(a.events.items.find((e) => e.type === 'node-removed')?.node).toEqual(added);
    expect(a.store.getNodes().map((n) => n.id)).toEqual(['a']);
    expect(() => { a.store.removeNode('a'); }).toThrow('node a is this node; it cannot remove itself');
  });

  test('late INACTIVE: a node that ends its connection is INACTIVE at once, even while an unrelated connection sits in its handshake', async () => {
    const ports = await freePorts(2);
    // Timeouts far longer than the wait below: only the end itself can make b INACTIVE in time.
    const a = await startNode('a', { nodes: nodeList(['a', 'b'], ports), heartbeatMs: 1000, failureTimeoutMs: 60_000, handshakeTimeoutMs: 60_000 });
    nodes.push(a);
    // "b", by hand: connects, says HELLO, is bound, then half-closes (it is going away) and keeps reading.
    const b = connect({ host: '127.0.0.1', port: ports[0]!, allowHalfOpen: true });
    b.on('error', () => undefined);
    b.on('data', () => undefined);
    await new Promise((resolve) => b.once('connect', resolve));
    b.write(encodeFrame(FrameType.HELLO, { s: 'HELLO', n: 'b', b: { ip: '127.0.0.1', tcpPort: ports[1], nonce: newNonce(), v: 3, auth: false } }));
    await a.whenState('b', 'ACTIVE');
    const stranger = connect({ host: '127.0.0.1', port: ports[0]! });
    stranger.on('error', () => undefined);
    await new Promise((resolve) => stranger.once('connect', resolve));
    b.end();
    await a.whenState('b', 'INACTIVE');
    stranger.destroy();
    b.destroy();
  });

  test('the reconnection delay doubles up to its cap, spread by ±20%', () => {
    const settings = { initialMs: 50, maxMs: 1000 };
    const at = (random: number) => [1, 2, 3, 4, 5, 6, 7, 50].map((attempt) => reconnectDelay(attempt, settings, () => random));
    expect(at(0.5)).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000]);
    expect(at(0)).toEqual([40, 80, 160, 320, 640, 800, 800, 800]);
    expect(at(1)).toEqual([60, 120, 240, 480, 960, 1200, 1200, 1200]);
  });

  test('reconnection attempts to a node that is down back off exponentially', async () => {
    const [port, deadPort] = await freePorts(2);
    const a = await startNode('a', { nodes: nodeList(['a', 'down'], [port!, deadPort!]), reconnect: { initialMs: 20, maxMs: 200 } });
    nodes.push(a);
    const refused = (): number[] =>
      a.logRecorder.items.filter((e) => e.msg.includes('cluster connection closed') && e.msg.includes('ECONNREFUSED')).map((e) => e.time as number);
    await a.logRecorder.waitFor(() => refused().length >= 7, 15_000);
    const times = refused();
    const gaps = times.slice(1, 7).map((t, i) => t - (times[i] as number));
    // Each wait is at least 80% (the jitter's floor) of 20, 40, 80, 160, 200, 200 ms; timers never fire early.
    const floors = [20, 40, 80, 160, 200, 200].map((ms) => ms * 0.8 - 2);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(floors[i] as number);
    });
  });
});

describe('config set cluster is checked against the running node before it is written', () => {
  const homes = tempHomes();
  afterEach(() => homes.cleanup());

  test('a nodes list without this node, or its port moved to one in use, is refused (file and node unchanged); a free port is taken', async () => {
    const [port, busyPort, freePort, otherPort] = await freePorts(4);
    const home = await homes.make();
    const written = { nodes: [{ id: 'a', ip: '127.0.0.1', tcpPort: port }], heartbeatMs: 100, failureTimeoutMs: 600 };
    await writeFiles(home, { 'config/cluster.json': written });
    const t = testContainer({ home, nodeId: 'a' });
    t.container.register(CommunicationManager, ClusterStore);
    await t.container.start();
    await t.container.whenActive('cluster');
    const store = (await t.container.getService(ClusterService)) as ClusterService;
    const fileNow = async () => JSON.parse(await readFile(join(home, 'config', 'cluster.json'), 'utf8')) as unknown;
    try {
      const unlisted = await rejectionOf(t.container.config.patch('cluster', { nodes: [{ id: 'b', ip: '127.0.0.1', tcpPort: otherPort }] }));
      expect(unlisted.message).toBe(
        'Configuration cluster was not written (config/cluster.json is unchanged): component cluster: $.nodes: this node\'s id is "a", but config/cluster.json lists no such node (it lists b); add it, or start with the right --node-id. Give values the component accepts.',
      );

      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(busyPort, '127.0.0.1', resolve));
      try {
        const busy = await rejectionOf(t.container.config.patch('cluster', { nodes: [{ id: 'a', ip: '127.0.0.1', tcpPort: busyPort }] }));
        expect(busy.message).toContain(`component cluster: $.nodes[0]: cannot listen for cluster connections on 127.0.0.1:${busyPort}: the port is in use`);
        const nowhere = await rejectionOf(t.container.config.patch('cluster', { listenIp: '192.0.2.1' }));
        expect(nowhere.message).toContain('component cluster: $.listenIp: cannot listen for cluster connections on 192.0.2.1:');
      } finally {
        holder.close();
      }
      // The same port on another address, taken by someone else: not this node's own port.
      const sameport = createServer();
      await new Promise<void>((resolve) => sameport.listen(port, '127.0.0.2', resolve));
      try {
        const taken = await rejectionOf(t.container.config.patch('cluster', { listenIp: '127.0.0.2' }));
        expect(taken.message).toContain(`component cluster: $.listenIp: cannot listen for cluster connections on 127.0.0.2:${port}: the port is in use`);
      } finally {
        sameport.close();
      }
      expect(await fileNow()).toEqual(written);
      expect(store.getLocalNode()).toEqual({ id: 'a', ip: '127.0.0.1', tcpPort: port });
      expect(t.container.component('cluster').configurationProblem).toBeUndefined();

      // A free port is checked, written and taken.
      await t.container.config.patch('cluster', { nodes: [{ id: 'a', ip: '127.0.0.1', tcpPort: freePort }] });
      await t.container.settled();
      expect(store.getLocalNode().tcpPort).toBe(freePort);
      await new Promise<void>((resolve, reject) => connect(freePort!, '127.0.0.1').on('connect', function (this: Socket) { this.destroy(); resolve(); }).on('error', reject));
      expect(await fileNow()).toMatchObject({ nodes: [{ id: 'a', tcpPort: freePort }] });
      // Its own port, with other settings changed, or on every address, is not "in use" by someone else.
      await t.container.config.patch('cluster', { heartbeatMs: 150 });
      await t.container.config.patch('cluster', { listenIp: '0.0.0.0' });
      await t.container.settled();
      expect(await fileNow()).toMatchObject({ listenIp: '0.0.0.0' });
      expect(t.logs.filter((e) => e.level >= 50)).toEqual([]);
    } finally {
      await t.container.stop();
    }
  });
});
