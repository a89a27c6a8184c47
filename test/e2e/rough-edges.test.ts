import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
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

const GREETER = `import { Activate, Component, Modified } from '@lattice-scr/lattice';
const schema = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => (typeof value.name === 'string' ? { value } : { issues: [{ message: 'must be a string', path: ['name'] }] }),
  },
};
export class Greeter {
  activate(context) { context.logger.info('greeting ' + context.config.name); }
  modified(config, context) { }
}
Activate(Greeter.prototype, 'activate');
Modified(Greeter.prototype, 'modified');
Component({ name: 'greeter', immediate: true, configSchema: schema })(Greeter);
`;

describe('rough edges a new user hit', () => {
  test('status: this node as the cluster store knows it, a boot feature not installed (the fix named), and config get/list when a component refused the file', async () => {
    const home = await homes.make();
    const [port] = await freePorts(1);
    await writeFiles(home, {
      'config/cluster.json': { nodes: [{ id: 'solo', ip: '127.0.0.1', tcpPort: port }] },
      'config/greeter.json': { name: 'Ada' },
      'deploy/greeter.js': GREETER,
    });
    const lattice = spawnLattice(['start', '--home', home, '--features-file', REPO_FEATURES]);
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'greeting Ada');
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);
    expect((await cli('status')).stdout).toMatch(/^Lattice \S+ — node solo, pid/);

    // The component's schema refuses the edit: the file says one thing, the component runs on another, and both commands say so.
    await writeFile(join(home, 'config', 'greeter.json'), JSON.stringify({ name: 42 }));
    await lattice.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('configuration of greeter not applied'));
    const got = await cli('config', 'get', 'greeter');
    expect(got.stdout).toContain('Not applied by component greeter: config/greeter.json: $.name: must be a string');
    expect(got.stdout).toContain('It runs on its earlier values: {"name":"Ada"}');
    expect((await cli('config', 'list')).stdout).toContain('component greeter refused it (config/greeter.json: $.name: must be a string) and runs on its earlier values {"name":"Ada"}');
    const json = JSON.parse((await cli('config', 'get', 'greeter', '--json')).stdout) as { rejectedBy: unknown[] };
    expect(json.rejectedBy).toEqual([{ component: 'greeter', problem: 'config/greeter.json: $.name: must be a string', inForce: { name: 'Ada' } }]);
  });

  test('a boot feature undone at start: status says so, and the error names the fix in config/cluster.json', async () => {
    const home = await homes.make();
    const [port] = await freePorts(1);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      await writeFiles(home, { 'config/cluster.json': { nodes: [{ id: 'solo', ip: '127.0.0.1', tcpPort: port }] } });
      const lattice = spawnLattice(['start', '--home', home, '--features-file', REPO_FEATURES]);
      running.push(lattice);
      await lattice.waitForLine((l) => l.msg === 'container started');
      const status = await runLattice(['status', '--home', home]);
      expect(status.stdout).toContain(`Not installed at start: onos-core: Cannot install onos-core:`);
      expect(status.stdout).toContain(`cannot listen for cluster connections on 127.0.0.1:${port}: the port is in use (another node on this machine?); give this node a free tcpPort in config/cluster.json`);
    } finally {
      holder.close();
    }
  });

  test('start --features naming an unknown feature exits 1 before starting; a home with nothing of a home warns', async () => {
    const home = await homes.make();
    const unknown = await runLattice(['start', '--home', home, '--features-file', REPO_FEATURES, '--features', 'onos-cor']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('the container did not start: Cannot start: the features to install at start name no feature "onos-cor" is defined (did you mean "onos-core"?)');

    const typo = join(home, 'no-such-home');
    const lattice = spawnLattice(['start', '--home', typo]);
    running.push(lattice);
    const warning = await lattice.waitForLine((l) => l.level === 40);
    expect(warning.msg).toBe(`${typo} does not exist: starting an empty container there (is --home right?)`);
  });

  test('--json usage errors are JSON on stderr, exit 2', async () => {
    const result = await runLattice(['config', 'set', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('{"error":"missing required argument \'pid\'","exitCode":2}\n');
  });
});

describe('npm run demo:cluster -- --base-port N', () => {
  const DEMO = new URL('../../dist/scripts/demoCluster.js', import.meta.url);

  test('starts its nodes from the port given; a port that is not one is a usage error', async () => {
    const [first] = await freePorts(1);
    const { spawn } = await import('node:child_process');
    const demo = spawn(process.execPath, [DEMO.pathname, '--base-port', String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let homesOfNodes = '';
    try {
      const said = await new Promise<string>((resolve, reject) => {
        let out = '';
        demo.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('Three nodes:')) resolve(out);
        });
        demo.once('exit', () => { reject(new Error(`the demo exited: ${out}`)); });
      });
      homesOfNodes = /homes under (\S+)\./.exec(said)?.[1] ?? '';
      const ports = [...said.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      expect(ports).toHaveLength(3);
      expect(Math.min(...ports)).toBeGreaterThanOrEqual(first as number);
    } finally {
      demo.kill('SIGTERM');
      await new Promise((resolve) => demo.once('exit', resolve));
    }
    // Its nodes went with it.
    const { execSync } = await import('node:child_process');
    expect(homesOfNodes).not.toBe('');
    const left = execSync('ps -eo args').toString().split('\n').filter((line) => line.includes('lattice.js start') && line.includes(`${homesOfNodes}/`));
    expect(left).toEqual([]);
    const bad = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [DEMO.pathname, '--base-port', 'abc'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('exit', (code) => { resolve({ code, stderr }); });
    });
    expect(bad).toEqual({ code: 2, stderr: 'demo:cluster: --base-port needs a port number from 1 to 65533, not "abc"\n' });
  }, 60_000);
});
