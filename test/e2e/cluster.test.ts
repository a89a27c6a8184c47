import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO_FEATURES, runLattice, spawnLattice, type LatticeProcess } from '../helpers/cli.js';
import { writeFiles } from '../helpers/distribution.js';
import { freePorts } from '../helpers/ports.js';
import { startNatsServer } from '../../scripts/natsServer.js';
import { tempHomes } from '../helpers/tempHome.js';

const running: LatticeProcess[] = [];
const homes = tempHomes();
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await homes.cleanup();
});

/** Deployed on every node: a sequence checker, an echo, a broadcast listener, and commands to drive them. */
const E2E_MODULE = `import { Activate, CommandService, Component, Deactivate, Reference, serviceToken } from '@lattice-scr/lattice';
const Messaging = serviceToken('ClusterCommunicationService');

export class Listeners {
  activate(context) {
    let expected = 0;
    let inOrder = true;
    this.subscriptions = {
      'e2e.seq': (m) => {
        if (m.body !== expected) inOrder = false;
        expected++;
        if (expected % 100000 === 0) context.logger.info({ count: expected, inOrder, from: m.sender }, 'sequence received');
      },
      'e2e.echo': (m) => 'pong from ' + this.messaging.localNodeId + ' to ' + m.body,
      'e2e.silent': () => new Promise(() => {}),
      'e2e.broadcast': (m) => { context.logger.info({ from: m.sender, body: m.body }, 'broadcast received'); },
    };
    for (const [subject, fn] of Object.entries(this.subscriptions)) this.messaging.addSubscriber(subject, fn);
  }
  deactivate() {
    for (const [subject, fn] of Object.entries(this.subscriptions)) this.messaging.removeSubscriber(subject, fn);
  }
}
Reference({ service: Messaging })(Listeners.prototype, 'messaging');
Activate(Listeners.prototype, 'activate');
Deactivate(Listeners.prototype, 'deactivate');
Component({ name: 'e2e.listeners' })(Listeners);

export class Flood {
  scope = 'e2e';
  name = 'flood';
  description = 'send NODE COUNT sequence messages';
  arguments = [{ name: 'node', required: true }, { name: 'count', required: true }];
  async run([node, count]) {
    for (let i = 0; i < Number(count); i++) if (!(await this.messaging.send('e2e.seq', i, node))) throw new Error('lost the connection at ' + i);
    return 'sent ' + count;
  }
}
Reference({ service: Messaging })(Flood.prototype, 'messaging');
Component({ name: 'e2e.flood', service: CommandService })(Flood);

export class Broadcast {
  scope = 'e2e';
  name = 'broadcast';
  description = 'broadcast a message';
  arguments = [{ name: 'text', required: true }];
  async run([text]) {
    return { text: 'reached ' + (await this.messaging.broadcast('e2e.broadcast', text)).sort().join(',') };
  }
}
Reference({ service: Messaging })(Broadcast.prototype, 'messaging');
Component({ name: 'e2e.broadcast', service: CommandService })(Broadcast);
`;

interface NodeSetup {
  id: string;
  home: string;
}

async function clusterHomes(ids: string[], configure: (id: string, nodes: object[]) => object = (_id, nodes) => ({ nodes })): Promise<{ homes: NodeSetup[]; nodes: { id: string; ip: string; tcpPort: number }[] }> {
  const ports = await freePorts(ids.length);
  const nodes = ids.map((id, i) => ({ id, ip: '127.0.0.1', tcpPort: ports[i] as number }));
  const setups: NodeSetup[] = [];
  for (const id of ids) {
    const home = await homes.make();
    await writeFiles(home, {
      'config/cluster.json': { heartbeatMs: 200, failureTimeoutMs: 1500, reconnect: { initialMs: 50, maxMs: 400 }, ...configure(id, nodes) },
      'deploy/e2e.js': E2E_MODULE,
    });
    setups.push({ id, home });
  }
  return { homes: setups, nodes };
}

function startNode(setup: NodeSetup): LatticeProcess {
  const lattice = spawnLattice(['start', '--home', setup.home, '--features-file', REPO_FEATURES, '--node-id', setup.id]);
  running.push(lattice);
  return lattice;
}

const sees = (lattice: LatticeProcess, node: string, state: 'ACTIVE' | 'INACTIVE' | 'added' | 'removed', from = 0) =>
  lattice.waitForLine((l) => lattice.lines.indexOf(l) >= from && typeof l.msg === 'string' && l.msg.startsWith(`node ${node} ${state}`));

/**
 * Three nodes: they form a cluster; 100,000 messages in order; broadcast; request/reply; kill -9 one:
 * INACTIVE for the others; restarted: ACTIVE. (Three processes and 100,000 messages: on a busy 2-core
 * machine this takes much longer than usual.)
 */
async function threeNodes({ homes: setups }: { homes: NodeSetup[] }, address = String.raw`127\.0\.0\.1:\d+`): Promise<void> {
    const [a, b, c] = setups.map(startNode) as [LatticeProcess, LatticeProcess, LatticeProcess];
    await Promise.all([sees(a, 'b', 'ACTIVE'), sees(a, 'c', 'ACTIVE'), sees(b, 'a', 'ACTIVE'), sees(b, 'c', 'ACTIVE'), sees(c, 'a', 'ACTIVE'), sees(c, 'b', 'ACTIVE')]);
    await Promise.all([a, b, c].map((p) => p.waitForLine((l) => l.msg === 'deploy/e2e.js deployed: e2e.broadcast, e2e.flood, e2e.listeners')));
    const homeOf = (id: string): string => (setups.find((s) => s.id === id) as NodeSetup).home;

    const listed = await runLattice(['cluster', 'nodes', '--json', '--home', homeOf('a')]);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string; state: string }[]).map((n) => `${n.id}:${n.state}`)).toEqual(['a:ACTIVE', 'b:ACTIVE', 'c:ACTIVE']);
    expect((await runLattice(['cluster', 'nodes', '--home', homeOf('a')])).stdout).toMatch(new RegExp(String.raw`^ID +ADDRESS +STATE +LAST HEARD +ROUND TRIP\na \(this node\) +${address} +ACTIVE\nb +${address} +ACTIVE +\d+\.\ds ago(?: +\d+\.\d\d ms)?\n`));

    // 100,000 messages from a to b arrive complete and in order.
    const flood = await runLattice(['e2e', 'flood', 'b', '100000', '--home', homeOf('a')], { timeoutMs: 120_000 });
    expect(flood.stdout).toBe('sent 100000\n');
    const received = await b.waitForLine((l) => l.msg === 'sequence received', 60_000);
    expect(received).toMatchObject({ count: 100000, inOrder: true, from: 'a' });

    // Broadcast reaches every other node.
    expect((await runLattice(['e2e', 'broadcast', 'hello all', '--home', homeOf('c')])).stdout).toBe('reached a,b\n');
    await Promise.all([a, b].map((p) => p.waitForLine((l) => l.msg === 'broadcast received' && l.from === 'c' && l.body === 'hello all')));

    // Request/reply, and its timeout.
    const reply = await runLattice(['cluster', 'send', 'b', 'e2e.echo', '"ping"', '--request', '--home', homeOf('a')]);
    expect(reply.stdout).toBe('Reply from b: "pong from b to ping"\n');
    const silent = await runLattice(['cluster', 'send', 'b', 'e2e.silent', '1', '--request', '--timeout', '200', '--home', homeOf('a')]);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toContain('no reply from node b to "e2e.silent" within 200 ms');

    // kill -9 c: the others mark it INACTIVE (connection gone) and say so.
    const linesBefore = [a.lines.length, b.lines.length];
    c.child.kill('SIGKILL');
    await Promise.all([sees(a, 'c', 'INACTIVE', linesBefore[0]), sees(b, 'c', 'INACTIVE', linesBefore[1])]);
    // Restarted on the same home, it is ACTIVE again everywhere.
    const after = [a.lines.length, b.lines.length];
    const c2 = startNode(setups[2] as NodeSetup);
    await Promise.all([sees(a, 'c', 'ACTIVE', after[0]), sees(b, 'c', 'ACTIVE', after[1]), sees(c2, 'a', 'ACTIVE'), sees(c2, 'b', 'ACTIVE')]);
}

/** a lists a and b; b and c list all three. Then a's cluster.json is edited: by add-node, remove-node and by hand. */
async function membershipEdits(transport: object): Promise<void> {
  const { homes: setups, nodes } = await clusterHomes(['a', 'b', 'c'], (id, all) => ({ ...transport, nodes: id === 'a' ? all.slice(0, 2) : all }));
  const [a, b, c] = setups.map(startNode) as [LatticeProcess, LatticeProcess, LatticeProcess];
  const home = (setups[0] as NodeSetup).home;
  await Promise.all([sees(a, 'b', 'ACTIVE'), sees(b, 'c', 'ACTIVE'), c.waitForLine((l) => l.msg === 'container started')]);
  expect((await runLattice(['cluster', 'nodes', '--json', '--home', home])).stdout).not.toContain('"c"');

  const c3 = nodes[2] as { ip: string; tcpPort: number };
  // A bad address, or an edit the schema would refuse, is refused (a usage error) before the file is touched.
  const before = await readFile(join(home, 'config', 'cluster.json'), 'utf8');
  const badIp = await runLattice(['cluster', 'add-node', 'c', 'not-an-ip', '--home', home]);
  expect(badIp.code).toBe(2);
  expect(badIp.stderr).toContain('cannot add node "c" at not-an-ip:9876: give an id, an IPv4/IPv6 address and a port (1-65535)');
  const badPort = await runLattice(['cluster', 'add-node', 'c', c3.ip, '70000', '--home', home]);
  expect(badPort.code).toBe(2);
  expect(await readFile(join(home, 'config', 'cluster.json'), 'utf8')).toBe(before);

  const added = await runLattice(['cluster', 'add-node', 'c', c3.ip, String(c3.tcpPort), '--home', home]);
  expect(added.stdout).toBe(`Added node c at ${c3.ip}:${c3.tcpPort} (config/cluster.json).\n`);
  await sees(a, 'c', 'ACTIVE');

  const removed = await runLattice(['cluster', 'remove-node', 'b', '--home', home]);
  expect(removed.stdout).toBe('Removed node b (config/cluster.json).\n');
  await sees(a, 'b', 'removed');

  // And by hand: put b back.
  const mark = a.lines.length;
  await writeFile(join(home, 'config', 'cluster.json'), JSON.stringify({ heartbeatMs: 200, failureTimeoutMs: 1500, reconnect: { initialMs: 50, maxMs: 400 }, ...transport, nodes }));
  await sees(a, 'b', 'added', mark);
  await sees(a, 'b', 'ACTIVE', mark);
}

describe('a cluster of container processes', () => {
  test('three containers form a cluster; kill -9 one: INACTIVE for the others; restarted: ACTIVE; 100,000 messages in order; broadcast; request/reply', async () => {
    await threeNodes(await clusterHomes(['a', 'b', 'c']));
  }, 120_000);

  test('the same over NATS: three containers through a nats-server', async () => {
    const server = await startNatsServer(['--auth', 'the-e2e-nats-token']);
    try {
      // Each node is shown at the NATS server it is on.
      await threeNodes(await clusterHomes(['a', 'b', 'c'], (_id, nodes) => ({ nodes, transport: { nats: { servers: [server.url], token: 'the-e2e-nats-token' } } })), server.url.replace(/\./g, '\\.'));
    } finally {
      for (const p of running.splice(0)) p.child.kill('SIGKILL');
      await server.stop();
    }
  }, 120_000);

  test('a frozen node (SIGSTOP: its connections open, but silent) is INACTIVE once silent for the failure timeout, and ACTIVE again when it thaws', async () => {
    const { homes: setups } = await clusterHomes(['a', 'b']);
    const [a, b] = setups.map(startNode) as [LatticeProcess, LatticeProcess];
    await Promise.all([sees(a, 'b', 'ACTIVE'), sees(b, 'a', 'ACTIVE')]);
    const mark = a.lines.length;
    b.child.kill('SIGSTOP');
    try {
      const down = await sees(a, 'b', 'INACTIVE', mark);
      const silence = /no heartbeat for (\d+) ms \(failure timeout 1500 ms\)/.exec(String(down.reason));
      expect(silence).not.toBeNull();
      expect(Number(silence?.[1])).toBeGreaterThan(1500);
    } finally {
      b.child.kill('SIGCONT');
    }
    await sees(a, 'b', 'ACTIVE', mark);
  });

  test('a node with the wrong secret is refused and logged; one with the right secret joins', async () => {
    const { homes: setups } = await clusterHomes(['a', 'b', 'c'], (id, nodes) => ({ nodes, secret: id === 'c' ? 'not the secret at all' : '${env:LATTICE_TEST_SECRET}' }));
    const env = { LATTICE_TEST_SECRET: 'shared cluster secret' };
    const start = (setup: NodeSetup): LatticeProcess => {
      const lattice = spawnLattice(['start', '--home', setup.home, '--features-file', REPO_FEATURES, '--node-id', setup.id], { env });
      running.push(lattice);
      return lattice;
    };
    const [a, b] = [start(setups[0] as NodeSetup), start(setups[1] as NodeSetup)];
    await Promise.all([sees(a, 'b', 'ACTIVE'), sees(b, 'a', 'ACTIVE')]);
    start(setups[2] as NodeSetup);
    const refused = await a.waitForLine((l) => l.level === 40 && typeof l.msg === 'string' && l.msg === 'node c failed authentication (wrong cluster secret); refused');
    expect(refused.node).toBe('c');
    const nodes = JSON.parse((await runLattice(['cluster', 'nodes', '--json', '--home', (setups[0] as NodeSetup).home])).stdout) as { id: string; state: string }[];
    expect(nodes.map((n) => `${n.id}:${n.state}`)).toEqual(['a:ACTIVE', 'b:ACTIVE', 'c:INACTIVE']);
  });

  test('cluster.json edits (by hand, and by cluster add-node / remove-node) add and remove nodes live', async () => {
    await membershipEdits({});
  });

  test('the same over NATS: cluster.json edits add and remove nodes live', async () => {
    const server = await startNatsServer(['--auth', 'the-e2e-nats-token']);
    try {
      await membershipEdits({ transport: { nats: { servers: [server.url], token: 'the-e2e-nats-token' } } });
    } finally {
      for (const p of running.splice(0)) p.child.kill('SIGKILL');
      await server.stop();
    }
  });
});
