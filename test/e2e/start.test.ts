import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO_FEATURES, spawnLattice, type LatticeProcess } from '../helpers/cli.js';
import { writeFiles } from '../helpers/distribution.js';
import { freePorts } from '../helpers/ports.js';
import { tempHomes } from '../helpers/tempHome.js';

const running: LatticeProcess[] = [];
const homes = tempHomes();
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await homes.cleanup();
});

/** A home for the repo's distribution: its cluster node listens on a free port. */
async function repoHome(): Promise<string> {
  const home = await homes.make();
  const [port] = await freePorts(1);
  await writeFiles(home, { 'config/cluster.json': { nodes: [{ id: 'solo', ip: '127.0.0.1', tcpPort: port }] } });
  return home;
}

describe('lattice start', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)("runs the repo's distribution in the foreground (boot features, plus --features); %s stops it gracefully with exit 0", async (signal) => {
    const home = await repoHome();
    const lattice = spawnLattice(['start', '--home', home, '--features-file', REPO_FEATURES, '--features', 'examples']);
    running.push(lattice);
    const started = await lattice.waitForLine((l) => l.msg === 'container started');
    expect(started.features).toEqual(['examples@0.1.0', 'onos-api@1.0.0', 'onos-core@1.0.0']);
    expect(started.components).toEqual(expect.arrayContaining(['examples.greeter=active', 'examples.heartbeat=active', 'examples.clock=active', 'cluster=active', 'messaging=active', 'host-store=active']));
    expect(lattice.lines.some((l) => l.component === 'examples.heartbeat' && /^Good (morning|afternoon|evening), Lattice$/.test(l.msg))).toBe(true);
    lattice.child.kill(signal);
    expect(await lattice.exited).toBe(0);
    expect(lattice.lines.map((l) => l.msg)).toContain('container stopped');
    // Every watcher, socket and timer of the distribution is closed by the stop.
    expect(lattice.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('still open after the stop'))).toEqual([]);
  });

  test('what a component leaves open after the stop (a timer, a server) is named in a warning', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'deploy/leaky.js': `import { createServer } from 'node:net';
import { Activate, Component } from '@lattice-scr/lattice';
export class Leaky {
  activate() { setInterval(() => undefined, 60_000); createServer().listen(0, '127.0.0.1'); }
}
Activate(Leaky.prototype, 'activate');
Component({ name: 'leaky', immediate: true })(Leaky);
`,
    });
    const lattice = spawnLattice(['start', '--home', home]);
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'container started');
    lattice.child.kill('SIGTERM');
    expect(await lattice.exited).toBe(0);
    const warning = lattice.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('still open after the stop'));
    expect(warning?.level).toBe(40);
    expect([...(warning?.open as string[])].sort()).toEqual(['TCPServerWrap', 'Timeout']);
  });

  test('configuration files under --home are applied, and an edit reconfigures the running component', async () => {
    const home = await repoHome();
    await writeFile(join(home, 'config', 'examples.heartbeat.json'), '{ "intervalMs": 3600000, "edition": 1 }');
    const lattice = spawnLattice(['start', '--home', home, '--features-file', REPO_FEATURES, '--features', 'examples']);
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'container started');
    expect(lattice.lines.filter((l) => l.component === 'examples.heartbeat' && l.msg.startsWith('Good'))).toHaveLength(1);
    // The heartbeat has no @Modified: an edit gives a new instance, which greets again.
    await writeFile(join(home, 'config', 'examples.heartbeat.json'), '{ "intervalMs": 3600000, "edition": 2 }');
    const loaded = await lattice.waitForLine((l) => l.msg.startsWith('configuration examples.heartbeat loaded'));
    // pino's process pid and the configuration's PID are different keys (a JSON reader keeps one per key).
    expect(loaded.pid).toBe(lattice.child.pid);
    expect(loaded.configPid).toBe('examples.heartbeat');
    await lattice.waitForLine((l) => l.component === 'examples.heartbeat' && l.msg.startsWith('Good') && lattice.lines.filter((x) => x.component === 'examples.heartbeat' && x.msg.startsWith('Good')).length === 2);
    // A broken edit is reported with file, line and column, and the container keeps running.
    await writeFile(join(home, 'config', 'examples.heartbeat.json'), '{ "intervalMs": }');
    const problem = await lattice.waitForLine((l) => l.level === 50 && l.msg.includes('config/examples.heartbeat.json:1:17'));
    expect(problem.msg).toContain('keeping the last good one');
    lattice.child.kill('SIGTERM');
    expect(await lattice.exited).toBe(0);
  });

  test('an unknown option is a usage error', async () => {
    const lattice = spawnLattice(['start', '--no-such-option']);
    running.push(lattice);
    expect(await lattice.exited).not.toBe(0);
    expect(lattice.stderr()).toContain("unknown option '--no-such-option'");
  });
});
