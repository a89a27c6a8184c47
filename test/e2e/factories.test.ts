import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runLattice, spawnLattice, type LatticeProcess } from '../helpers/cli.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const running: LatticeProcess[] = [];
const homes = tempHomes();
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await homes.cleanup();
});

/**
 * A feature with both kinds of factory, in plain JavaScript: device connections made by factory
 * configurations, and sessions made by a component factory for a pool that asks for two.
 */
const DEVICES = `import { Activate, Component, ComponentFactoryService, Deactivate, Reference, serviceToken } from '@lattice-scr/lattice';
const Link = serviceToken('test.Link');
export class DeviceConnection {
  activate(context) { context.logger.info({ address: context.config.address }, 'device up'); }
  deactivate(context) { context.logger.info({ reason: context.reason }, 'device down'); }
}
Reference({ service: Link, cardinality: '0..1', policy: 'dynamic' })(DeviceConnection.prototype, 'link');
Activate(DeviceConnection.prototype, 'activate');
Deactivate(DeviceConnection.prototype, 'deactivate');
Component({ name: 'device', factoryPid: 'device', service: serviceToken('test.Device'), immediate: true })(DeviceConnection);

export class Session {
  activate(context) { this.user = context.config.user; }
}
Activate(Session.prototype, 'activate');
Component({ name: 'session', factory: 'session' })(Session);

export class Pool {
  async activate() { this.handles = [await this.sessions.newInstance({ user: 'ann' }), await this.sessions.newInstance({ user: 'bo' })]; }
  async deactivate() { await Promise.all(this.handles.map((h) => h.dispose())); }
}
Reference({ service: ComponentFactoryService, target: '(component.factory=session)' })(Pool.prototype, 'sessions');
Activate(Pool.prototype, 'activate');
Deactivate(Pool.prototype, 'deactivate');
Component({ name: 'pool' })(Pool);
`;

describe('factories from the command line', () => {
  test('config set/list/delete of factory configurations; component list/info/graph show factories and instances; uninstall takes them all', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { features: [{ name: 'devices', version: '1.0.0', components: ['modules/devices.js'] }] },
      'modules/devices.js': DEVICES,
      'config/device~edge.json': { address: '10.0.0.1' },
    });
    const lattice = spawnLattice(['start', '--home', home]);
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'container started');
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);

    expect((await cli('feature', 'install', 'devices')).code).toBe(0);
    await lattice.waitForLine((l) => l.msg === 'device up' && l.address === '10.0.0.1');

    const set = await cli('config', 'set', 'device~core', 'address="10.0.0.2"');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('device~core set (config/device~core.json): {"address":"10.0.0.2"}');
    await lattice.waitForLine((l) => l.msg === 'device up' && l.address === '10.0.0.2');
    expect(JSON.parse(await readFile(join(home, 'config', 'device~core.json'), 'utf8'))).toEqual({ address: '10.0.0.2' });

    const refused = await cli('config', 'set', 'device~bad', 'link.target=nofilter');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Configuration device~bad was not written (config/device~bad.json was not created): component device: $["link.target"]: ');

    const list = await cli('component', 'list');
    expect(list.stdout).toMatch(/\ndevice \(factory configurations, 2 instances\) +active *\n {2}device~edge +active +test\.Device *\n {2}device~core +active +test\.Device *\n/);
    expect(list.stdout).toMatch(/\nsession \(component factory, 2 instances\) +active +lattice\.ComponentFactory *\n {2}session#1 +active *\n {2}session#2 +active *\n/);

    const template = await cli('component', 'info', 'device');
    expect(template.stdout).toContain('Factory:        factory configurations device~<name> (config/device~<name>.json)\nInstances:      device~edge, device~core\n');
    expect(template.stdout).not.toContain('Configuration:');
    expect((await cli('component', 'info', 'session#2')).stdout).toContain('Instance of:    session\n');
    expect(JSON.parse((await cli('component', 'info', 'session#1', '--json')).stdout)).toMatchObject({ instanceOf: 'session', properties: { user: 'ann' } });

    const configs = await cli('config', 'list');
    expect(configs.stdout).toMatch(/\ndevice~\* \(factory PID: 2\) *\n {2}device~core +config\/device~core\.json +address *\n {2}device~edge +config\/device~edge\.json +address *\n/);

    const graph = await cli('graph', '--feature', 'devices');
    expect(graph.stdout).toContain('"session#1" [label="session#1\\nactive"');
    expect(graph.stdout).toContain('"pool" -> "session" [label="sessions 1..1"];');

    await rm(join(home, 'config', 'device~edge.json'));
    await lattice.waitForLine((l) => l.msg === 'device down' && l.component === 'device~edge');
    expect((await cli('config', 'delete', 'device~core')).stdout).toContain('Deleted configuration device~core.');
    await lattice.waitForLine((l) => l.msg === 'device down' && l.component === 'device~core');

    expect((await cli('feature', 'uninstall', 'devices')).code).toBe(0);
    expect(JSON.parse((await cli('component', 'list', '--json')).stdout)).toEqual([]);
    expect((await cli('stop')).code).toBe(0);
    expect(await lattice.exited).toBe(0);
  });
});
