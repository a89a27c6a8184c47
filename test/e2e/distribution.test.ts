import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO_FEATURES, runLattice, spawnLattice, type LatticeProcess } from '../helpers/cli.js';
import { writeFiles } from '../helpers/distribution.js';
import { freePorts } from '../helpers/ports.js';
import { tempHomes } from '../helpers/tempHome.js';

const running: LatticeProcess[] = [];
const homes = tempHomes();
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await homes.cleanup();
});

describe("the repo's distribution, driven with the CLI", () => {
  test('install onos-app-config: the sample addresses are bound; edits change the bindings live; uninstall unbinds', async () => {
    const home = await homes.make();
    const [port] = await freePorts(1);
    await writeFiles(home, { 'config/cluster.json': { nodes: [{ id: 'node-1', ip: '127.0.0.1', tcpPort: port }] } });
    await copyFile(fileURLToPath(new URL('../../config/addresses.json', import.meta.url)), join(home, 'config', 'addresses.json'));
    const container = spawnLattice(['start', '--home', home, '--features-file', REPO_FEATURES]);
    running.push(container);
    const started = await container.waitForLine((l) => l.msg === 'container started');
    expect(started.features).toEqual(['onos-api@1.0.0', 'onos-core@1.0.0']);
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);

    expect((await cli('hosts', 'addresses')).stdout).toBe('CONNECT POINT  IP ADDRESSES  MAC\n');
    const install = await cli('feature', 'install', 'onos-app-config');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('Installed: onos-app-config 1.0.0');
    expect((await cli('hosts', 'addresses')).stdout).toBe(
      [
        'CONNECT POINT          IP ADDRESSES                          MAC',
        'of:0000000000000001/1  192.168.10.101/24                     00:00:00:11:22:33',
        'of:0000000000000002/1  192.168.20.101/24, 192.168.30.101/24',
        'of:0000000000000003/1  10.1.0.1/16                           00:00:00:00:00:01',
        '',
      ].join('\n'),
    );

    await writeFile(
      join(home, 'config', 'addresses.json'),
      JSON.stringify({ addresses: [{ dpid: '00:00:00:00:00:00:00:01', port: 1, ips: ['192.168.10.101/24'], mac: '00:00:00:11:22:33' }, { dpid: '4', port: 2, ips: ['10.4.0.1/16'] }] }),
    );
    await container.waitForLine((l) => l.msg === 'address bindings: 1 bound, 2 unbound');
    const edited = JSON.parse((await cli('hosts', 'addresses', '--json')).stdout) as { connectPoint: { deviceId: string; port: number }; ips: string[] }[];
    expect(edited.map((b) => `${b.connectPoint.deviceId}/${b.connectPoint.port} ${b.ips.join(',')}`)).toEqual(['of:0000000000000001/1 192.168.10.101/24', 'of:0000000000000004/2 10.4.0.1/16']);

    await writeFile(join(home, 'config', 'addresses.json'), '{ "addresses": [{ "dpid": "nope", "port": 1, "ips": [] }] }');
    await container.waitForLine((l) => l.level === 50 && l.msg.includes('config/addresses.json: $.addresses[0].dpid: "nope" is not a datapath id'));
    expect(JSON.parse((await cli('hosts', 'addresses', '--json')).stdout)).toHaveLength(2);
    expect((await cli('component', 'info', 'netcfg')).stdout).toContain('problem: config/addresses.json: $.addresses[0].dpid');
    // From the command line, values the component would refuse are refused before the file is written.
    const refused = await cli('config', 'set', 'addresses', 'addresses=[{"dpid":"zz","port":1,"ips":["10.0.0.1/8"]}]');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Configuration addresses was not written (config/addresses.json is unchanged): component netcfg: $.addresses[0].dpid: "zz" is not a datapath id');
    expect(await readFile(join(home, 'config', 'addresses.json'), 'utf8')).toBe('{ "addresses": [{ "dpid": "nope", "port": 1, "ips": [] }] }');

    expect((await cli('feature', 'uninstall', 'onos-app-config')).code).toBe(0);
    expect(JSON.parse((await cli('hosts', 'addresses', '--json')).stdout)).toEqual([]);
    container.child.kill('SIGTERM');
    expect(await container.exited).toBe(0);
  });
});
