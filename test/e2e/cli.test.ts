import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { httpRequest } from '../helpers/http.js';
import { afterEach, describe, expect, test } from 'vitest';
import { latticeInTerminal, runLattice, spawnLattice, type LatticeProcess } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const running: LatticeProcess[] = [];
const homes = tempHomes();
afterEach(async () => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
  await homes.cleanup();
});

/** A distribution: an API feature (with a contributed command), an app, a broken app, a slow one. */
async function distribution(): Promise<string> {
  const home = await homes.make();
  await writeFiles(home, {
    'features.json': {
      features: [
        { name: 'api', version: '1.0.0', description: 'the host store', components: ['modules/host.js', 'modules/commands.js'] },
        { name: 'app', version: '1.0.0', features: ['api'], components: ['modules/app.js'] },
        { name: 'broken', version: '1.0.0', features: ['api'], components: ['modules/broken.js'] },
        { name: 'slow', version: '1.0.0', components: ['modules/slow.js'] },
      ],
      boot: ['api'],
    },
    'modules/host.js': `import { Activate, Component, Deactivate, Modified, serviceToken } from '@lattice-scr/lattice';
export class HostStore {
  activate(context) { context.logger.info('host-store up'); }
  modified(config, context) { context.logger.info({ config }, 'host-store modified'); }
  deactivate(context) { context.logger.info({ reason: context.reason }, 'host-store down'); }
}
Activate(HostStore.prototype, 'activate');
Deactivate(HostStore.prototype, 'deactivate');
Modified(HostStore.prototype, 'modified');
Component({ name: 'host-store', service: serviceToken('HostAdminService'), immediate: true })(HostStore);
`,
    'modules/commands.js': `import { Component, CommandService } from '@lattice-scr/lattice';
export class EchoCommand {
  scope = 'demo';
  name = 'echo';
  description = 'print the words back';
  arguments = [{ name: 'words', variadic: true }];
  options = [{ flags: '--upper', description: 'in capitals' }];
  run(args, options) {
    const text = args.join(' ');
    return { text: options.upper ? text.toUpperCase() : text, data: { words: args } };
  }
}
Component({ name: 'demo-echo', service: CommandService })(EchoCommand);
`,
    'modules/app.js': componentModule({ name: 'app', needs: ['HostAdminService'] }),
    'modules/broken.js': componentModule({ name: 'broken', needs: ['HostAdminService'], activate: "throw new Error('no addresses file')" }),
    'modules/slow.js': `import { Activate, Component } from '@lattice-scr/lattice';
export class Slow {
  async activate(context) { context.logger.info('slow activation begins'); await new Promise((r) => setTimeout(r, 1500)); }
}
Activate(Slow.prototype, 'activate');
Component({ name: 'slow' })(Slow);
`,
  });
  return home;
}

/** A component whose deactivation takes a second: a stop under way long enough to act during it. */
const LINGERING = `import { Component, Deactivate } from '@lattice-scr/lattice';
export class Lingering {
  async deactivate(context) { context.logger.info('lingering deactivation begins'); await new Promise((r) => setTimeout(r, 1000)); }
}
Deactivate(Lingering.prototype, 'deactivate');
Component({ name: 'lingering', immediate: true })(Lingering);
`;

async function started(home: string, extra: string[] = []): Promise<LatticeProcess> {
  const lattice = spawnLattice(['start', '--home', home, ...extra]);
  running.push(lattice);
  await lattice.waitForLine((l) => l.msg === 'container started');
  return lattice;
}

function rawRequest(port: number, headers: Record<string, string>, path = '/v1/status', method = 'GET'): Promise<{ status: number; body: string }> {
  return httpRequest({ port, method, path, headers }).then(({ status, text }) => ({ status, body: text }));
}

describe('the lattice CLI against a running container', () => {
  test('start → status → failing install (clear report, rollback) → install → component info → config set → deploy → graph → contributed command → stop', async () => {
    const home = await distribution();
    const container = await started(home);
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);

    const status = await cli('status', '--json');
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { pid: number; features: { name: string }[]; components: { total: number } };
    expect(parsed.pid).toBe(container.child.pid);
    expect(parsed.features.map((f) => f.name)).toEqual(['api']);
    expect((await cli('status')).stdout).toMatch(/^Lattice \d+\.\d+\.\d+ — node \(none\), pid \d+, up [\d.]+m?s, control port \d+\nHome: {7}.*\nFeatures: {3}api 1\.0\.0\nComponents: 2 \(1 active, 1 satisfied\)\n$/);

    const broken = await cli('feature', 'install', 'broken');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('Cannot install broken: 1 component did not come up, so the install was undone:');
    expect(broken.stderr).toContain('broken is failed-activation: Activation failed (ACTIVATION_FAILED): no addresses file.\nFix the cause, then install it again.\n');
    // The component is gone with the install: enabling or restarting it is no advice.
    expect(broken.stderr).not.toContain('enable or restart');
    const afterRollback = JSON.parse((await cli('component', 'list', '--json')).stdout) as { name: string }[];
    expect(afterRollback.map((c) => c.name).sort()).toEqual(['demo-echo', 'host-store']);

    const app = await cli('feature', 'install', 'app');
    expect(app.code).toBe(0);
    expect(app.stdout).toContain('Installed: app 1.0.0');
    expect(app.stdout).toMatch(/Components:\n {2}app active/);

    const info = await cli('component', 'info', 'app');
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('State:          active');
    expect(info.stdout).toContain('Module:         modules/app.js');
    expect(info.stdout).toMatch(/dep0: HostAdminService 1\.\.1 static reluctant — satisfied\n {4}bound to: service \d+ \(host-store\); candidates: 1/);

    const set = await cli('config', 'set', 'host-store', 'level=3', 'name=edge');
    expect(set.code).toBe(0);
    const modified = await container.waitForLine((l) => l.msg === 'host-store modified');
    expect(modified.config).toEqual({ level: 3, name: 'edge' });
    expect(JSON.parse(await readFile(join(home, 'config', 'host-store.json'), 'utf8'))).toEqual({ level: 3, name: 'edge' });

    await writeFiles(home, { 'deploy/extra.js': componentModule({ name: 'extra', needs: ['HostAdminService'] }) });
    await container.waitForLine((l) => l.msg === 'deploy/extra.js deployed: extra');
    expect(JSON.parse((await cli('component', 'info', 'extra', '--json')).stdout)).toMatchObject({ state: 'active' });

    // A component that failed shows its failure and the stack, down to the line of the module.
    await writeFiles(home, { 'deploy/faulty.js': componentModule({ name: 'faulty', needs: ['HostAdminService'], activate: "throw new Error('faulty at activation')" }) });
    await container.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('deploy/faulty.js deployed'));
    const faulty = await cli('component', 'info', 'faulty');
    expect(faulty.stdout).toContain('State:          failed-activation');
    expect(faulty.stdout).toMatch(/Failure: {8}ACTIVATION_FAILED: faulty at activation \(\d{4}-\d\d-\d\dT[\d:.]+Z\)\n {2}Error: faulty at activation\n +at .*deploy\/faulty\.js[^:]*:\d+:\d+/);
    // Retried, it fails again: the command says so, and exits 1.
    const retried = await cli('component', 'restart', 'faulty');
    expect(retried).toMatchObject({ code: 1 });
    expect(retried.stdout).toContain('faulty: failed-activation');

    const dot = await cli('graph');
    expect(dot.stdout).toContain('"app" -> "host-store" [label="dep0 1..1"];');
    expect(dot.stdout).toContain('"extra" -> "host-store"');
    expect((await cli('graph', '--format', 'mermaid', '--feature', 'app')).stdout).toMatch(/^graph LR\n {2}n0\["app<br\/>active"\]/);

    expect((await cli('demo', 'echo', 'hello', 'world', '--upper')).stdout).toBe('HELLO WORLD\n');
    expect(JSON.parse((await cli('demo', 'echo', 'x', '--json')).stdout)).toEqual({ words: ['x'] });
    expect((await cli('--help')).stdout).toContain('demo');

    const stop = await cli('stop');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`Stopped the container in ${home}`);
    expect(await container.exited).toBe(0);
    // Everything was deactivated, the host store last (app and extra use it).
    const down = container.lines.find((l) => l.msg === 'host-store down');
    expect(down?.reason).toBe('container-stopped');
    expect(container.lines.map((l) => l.msg)).toContain('container stopped');
    await expect(stat(join(home, 'data', 'control.json'))).rejects.toThrow();
    expect((await cli('status')).code).toBe(3);
  });

  test('the control API needs the token, and a loopback Host header', async () => {
    const home = await distribution();
    await started(home);
    const control = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { port: number; token: string };
    expect((await stat(join(home, 'data', 'control.json'))).mode & 0o777).toBe(0o600);
    expect((await rawRequest(control.port, {})).status).toBe(401);
    expect((await rawRequest(control.port, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await rawRequest(control.port, { authorization: `Bearer ${control.token}` })).status).toBe(200);
    const rebinding = await rawRequest(control.port, { authorization: `Bearer ${control.token}`, host: 'evil.example:80' });
    expect(rebinding.status).toBe(403);
    expect(rebinding.body).toContain('not a loopback name');
  });

  test('without a running container, commands exit 3; usage errors exit 2', async () => {
    const home = await homes.make();
    const status = await runLattice(['status', '--home', home]);
    expect(status.code).toBe(3);
    expect(status.stderr).toContain(`No container is running in ${home}`);
    expect((await runLattice(['component', 'info', '--home', home])).code).toBe(2);
    // A word that is not built in may be a command a component contributes: that needs the container.
    const contributed = await runLattice(['cluster', 'nodes', '--home', home]);
    expect(contributed.code).toBe(3);
    expect(contributed.stderr).toContain(`lattice: "cluster" is not a built-in command; commands that components contribute need a running container. No container is running in ${home}`);
  });

  test('a second start on the same home is refused; a stale lock from a dead process is replaced', async () => {
    const home = await distribution();
    const first = await started(home);
    const second = await runLattice(['start', '--home', home]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`a container is already running in ${home} \\(pid ${first.child.pid}, control port \\d+\\)`));
    first.child.kill('SIGKILL');
    await first.exited;
    // The killed container left its lock and control file behind: commands see that it is gone.
    await stat(join(home, 'data', 'control.json'));
    const orphaned = await runLattice(['status', '--home', home]);
    expect(orphaned.code).toBe(3);
    expect(orphaned.stderr).toContain(`No container is running in ${home} (the one with pid ${first.child.pid} is gone). Start one with: lattice start --home ${home}`);
    const again = await started(home);
    expect((await runLattice(['status', '--home', home, '--json'])).code).toBe(0);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  test('SIGTERM during an install ends cleanly: the install is undone, the container exits 0', async () => {
    const home = await distribution();
    const container = await started(home);
    const install = runLattice(['feature', 'install', 'slow', '--home', home]);
    await container.waitForLine((l) => l.msg === 'slow activation begins');
    container.child.kill('SIGTERM');
    expect(await container.exited).toBe(0);
    const result = await install;
    expect(result.code).not.toBe(0);
    expect(container.lines.map((l) => l.msg)).toContain('container stopped');
    await expect(stat(join(home, 'data', 'control.json'))).rejects.toThrow();
    const remembered = await readFile(join(home, 'data', 'features.json'), 'utf8').catch(() => '{"installed":[]}');
    expect(remembered).not.toContain('slow');
  });

  test('feature install shows progress, naming what it waits for', async () => {
    const home = await distribution();
    await started(home);
    const install = await runLattice(['feature', 'install', 'slow', '--home', home]);
    expect(install.code).toBe(0);
    expect(install.stderr).toContain('importing');
    expect(install.stderr).toContain('waiting for slow');
  });

  test('the shell runs piped commands and exits with the worst exit code (2 here: a usage error)', async () => {
    const home = await distribution();
    await started(home);
    const shell = await runLattice(['shell', '--home', home], { input: 'status\nfeature list --installed\ncomponent info nope\n  \ndemo echo from the shell\nnope\nfeature nope\n' });
    expect(shell.code).toBe(2);
    // A mistyped word says so in a line and points at help, without the whole usage text.
    expect(shell.stderr.split("error: unknown command 'nope'\n(type help for the commands)\n")).toHaveLength(3);
    expect(shell.stderr).not.toContain('Usage:');
    expect(shell.stdout).toContain('Features:   api 1.0.0');
    expect(shell.stdout).toMatch(/NAME +VERSION +INSTALLED +REQUIRED BY +BOOT +DESCRIPTION\napi +1\.0\.0 +yes +yes +the host store/);
    expect(shell.stderr).toContain('No component named "nope"');
    expect(shell.stdout).toContain('from the shell');
  });

  test('the shell on a terminal: prompt, tab completion of commands, component and feature names, history', async () => {
    const home = await distribution();
    await started(home);
    // A long history from before, readable by all: it is trimmed to 500 lines and made the owner's only.
    await writeFiles(home, { 'data/shell_history': Array.from({ length: 600 }, (_, i) => `status # ${i}`).join('\n') + '\n' });
    const shell = latticeInTerminal(['shell', '--home', home], { NO_COLOR: '1' });
    await shell.seen('lattice> ');
    shell.child.stdin?.write('compo\t');
    await shell.seen('component ');
    shell.child.stdin?.write('info host-s\t');
    await shell.seen('host-store ');
    shell.child.stdin?.write('\r');
    await shell.seen('State:          active');
    shell.child.stdin?.write('feature install sl\t');
    await shell.seen('feature install slow ');
    shell.child.stdin?.write('--dry-run\r');
    await shell.seen('Would install: slow 1.0.0');
    // A secret set from the shell is not written to the history file.
    shell.child.stdin?.write('config set host-store db.password="hunter 2" port=7 apiToken=t0k\r');
    await shell.seen('host-store set');
    shell.child.stdin?.write('exit\r');
    expect(await shell.exited).toBe(0);
    const history = (await readFile(join(home, 'data', 'shell_history'), 'utf8')).split('\n').filter(Boolean);
    expect(history.slice(-3).map((line) => line.trim())).toEqual(['component info host-store', 'feature install slow --dry-run', 'config set host-store db.password=•••• port=7 apiToken=••••']);
    expect(history).toHaveLength(503);
    expect(history[0]).toBe('status # 100');
    expect((await stat(join(home, 'data', 'shell_history'))).mode & 0o777).toBe(0o600);
  });
});

describe('the lattice CLI: the rest of the commands', () => {
  test('feature info and uninstall, component disable/enable/restart, config get/list/delete, all with --json too', async () => {
    const home = await distribution();
    await started(home);
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);
    expect((await cli('feature', 'install', 'app')).code).toBe(0);

    const info = await cli('feature', 'info', 'app');
    expect(info.stdout).toContain('app 1.0.0');
    expect(info.stdout).toContain('Dependencies:\n  └─ api 1.0.0');
    expect(info.stdout).toMatch(/Components:\n {2}app active/);
    const installed = JSON.parse((await cli('feature', 'list', '--installed', '--json')).stdout) as { name: string }[];
    expect(installed.map((f) => f.name)).toEqual(['api', 'app']);

    const refused = await cli('feature', 'uninstall', 'api');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('installed features need it (app needs api)');

    const disabled = await cli('component', 'disable', 'host-store');
    expect(disabled.stdout).toContain('host-store: disabled');
    expect(JSON.parse((await cli('component', 'info', 'app', '--json')).stdout)).toMatchObject({ state: 'unsatisfied-reference' });
    expect((await cli('component', 'list', '--state', 'unsatisfied-reference')).stdout).toMatch(/app +unsatisfied-reference +Reference "dep0" \(1\.\.1 HostAdminService\) has no service: host-store is disabled\./);
    expect((await cli('component', 'list', '--state', 'bogus')).code).toBe(2);
    await cli('component', 'enable', 'host-store');
    expect(JSON.parse((await cli('component', 'info', 'app', '--json')).stdout)).toMatchObject({ state: 'active' });
    expect((await cli('component', 'restart', 'app')).stdout).toContain('app: active');

    await cli('config', 'set', 'host-store', 'zone="eu"', 'tags=["a","b"]', 'port=8080');
    expect(JSON.parse((await cli('config', 'get', 'host-store', '--json')).stdout)).toMatchObject({ values: { zone: 'eu', tags: ['a', 'b'], port: 8080 } });
    expect((await cli('config', 'list')).stdout).toMatch(/host-store +config\/host-store\.json +zone, tags, port/);
    expect((await cli('config', 'set', 'host-store', 'novalue')).code).toBe(2);
    expect((await cli('config', 'delete', 'host-store')).stdout).toContain('Deleted configuration host-store.');
    expect((await cli('config', 'get', 'host-store')).code).toBe(1);

    const forced = await cli('feature', 'uninstall', 'api', '--force', '--json');
    expect(JSON.parse(forced.stdout)).toMatchObject({ uninstalled: expect.arrayContaining(['api@1.0.0', 'app@1.0.0']) as unknown });
    expect(JSON.parse((await cli('component', 'list', '--json')).stdout)).toEqual([]);
  });
});

describe('the lattice CLI: robustness', () => {
  test('a second stop request through the API joins the stop under way: the container still exits 0', async () => {
    const home = await distribution();
    const container = await started(home);
    await writeFiles(home, { 'deploy/lingering.js': LINGERING });
    await container.waitForLine((l) => l.msg === 'deploy/lingering.js deployed: lingering');
    const control = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { port: number; token: string };
    const auth = { authorization: `Bearer ${control.token}` };
    expect((await rawRequest(control.port, auth, '/v1/stop', 'POST')).status).toBe(200);
    await container.waitForLine((l) => l.msg === 'lingering deactivation begins');
    expect((await rawRequest(control.port, auth, '/v1/stop', 'POST')).status).toBe(200);
    expect(await container.exited).toBe(0);
    expect(container.lines.map((l) => l.msg)).toContain('container stopped');
  });

  test('a lock naming a live process that is not its owner (pid reused), or an empty lock, is stale', async () => {
    const home = await distribution();
    // This test's own pid is alive, but its start time is not the one written: a reused pid.
    await writeFiles(home, { 'data/container.pid': `${process.pid} 1\n` });
    let container = await started(home);
    const lock = (await readFile(join(home, 'data', 'container.pid'), 'utf8')).trim().split(' ');
    expect(lock[0]).toBe(String(container.child.pid));
    expect(lock[1]).toMatch(/^\d+$/);
    container.child.kill('SIGTERM');
    expect(await container.exited).toBe(0);
    await expect(stat(join(home, 'data', 'container.pid'))).rejects.toThrow();

    await writeFiles(home, { 'data/container.pid': '' });
    container = await started(home);
    container.child.kill('SIGTERM');
    expect(await container.exited).toBe(0);
  });

  test('start says why it cannot start (a home that is not a folder)', async () => {
    const home = await homes.make();
    const notAFolder = join(home, 'file');
    await writeFile(notAFolder, 'x');
    const result = await runLattice(['start', '--home', notAFolder]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^lattice: .*ENOTDIR.*file\/data/m);
  });

  test('with --json, errors are JSON on stderr; component list --state takes only real states', async () => {
    const home = await distribution();
    await started(home);
    const missing = await runLattice(['component', 'info', 'nope', '--json', '--home', home]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toEqual({ error: expect.stringContaining('No component named "nope"') as unknown, exitCode: 1 });
    const bogus = await runLattice(['component', 'list', '--state', 'bogus', '--home', home]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("Allowed choices are disabled, unsatisfied-configuration, unsatisfied-reference, satisfied, activating, active, deactivating, failed-activation");
    const active = JSON.parse((await runLattice(['component', 'list', '--state', 'active', '--json', '--home', home])).stdout) as { name: string }[];
    expect(active.map((c) => c.name)).toEqual(['host-store']);
  });

  test('malformed percent-encoding in a path is a 400, not a crash', async () => {
    const home = await distribution();
    await started(home);
    const control = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { port: number; token: string };
    const answer = await rawRequest(control.port, { authorization: `Bearer ${control.token}` }, '/v1/components/%E0%A4%A');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('is not valid percent-encoding');
    expect((await runLattice(['status', '--home', home])).code).toBe(0);
  });

  test('a container that accepts but never answers: the client gives up with a clear error', async () => {
    const home = await homes.make();
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      await writeFiles(home, { 'data/control.json': { pid: process.pid, port, token: 't', home, startedAt: new Date().toISOString() } });
      const result = await runLattice(['status', '--home', home], { env: { LATTICE_CLIENT_TIMEOUT_MS: '300' } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`The container in ${home} (pid ${process.pid}, port ${port}) did not answer within 300 ms`);
    } finally {
      silent.close();
    }
  });

  test('contributed commands that clash or are malformed are skipped with a warning; the rest work', async () => {
    const home = await distribution();
    const container = await started(home);
    const command = (name: string, scope: string, cmd: string, options: string) => `import { Component, CommandService } from '@lattice-scr/lattice';
export class C { scope = '${scope}'; name = '${cmd}'; description = '${name}'; options = ${options}; run() { return '${name} ran'; } }
Component({ name: '${name}', service: CommandService })(C);
`;
    await writeFiles(home, {
      'deploy/twin.js': command('twin-echo', 'demo', 'echo', '[]'),
      'deploy/bad-flags.js': command('bad-flags', 'demo', 'odd', "[{ flags: 'x y z', description: 'no dash' }]"),
      'deploy/builtin.js': command('builtin-clash', 'config', 'wipe', '[]'),
      'deploy/fine.js': command('fine', 'demo', 'fine', '[]'),
    });
    for (const file of ['twin', 'bad-flags', 'builtin', 'fine']) await container.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith(`deploy/${file}.js deployed`));
    const result = await runLattice(['demo', 'fine', '--home', home]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('fine ran\n');
    expect(result.stderr).toContain('lattice: warning: skipped the contributed command "demo echo": another component contributes it too');
    expect(result.stderr).toContain('lattice: warning: skipped the contributed command "demo odd": option creation failed');
    expect(result.stderr).toContain('lattice: warning: skipped the contributed command "config wipe": "config" is a built-in command');
    expect((await runLattice(['demo', 'echo', 'still', 'works', '--home', home])).stdout).toBe('still works\n');
    // With the container running, a word nobody contributes is a usage error.
    const unknown = await runLattice(['no-such-command', '--home', home]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'no-such-command'");
  });

  test('a second signal exits at once, without waiting for the stop', async () => {
    const home = await distribution();
    const container = await started(home);
    await writeFiles(home, { 'deploy/lingering.js': LINGERING });
    await container.waitForLine((l) => l.msg === 'deploy/lingering.js deployed: lingering');
    container.child.kill('SIGTERM');
    await container.waitForLine((l) => l.msg === 'lingering deactivation begins');
    container.child.kill('SIGTERM');
    expect(await container.exited).toBe(1);
    expect(container.lines.map((l) => l.msg)).toContain('SIGTERM again: exiting without waiting');
    expect(container.lines.map((l) => l.msg)).not.toContain('container stopped');
  });

  test('while boot features install: the API answers (status says starting), a second start names the port, stop works', async () => {
    const home = await distribution();
    const container = spawnLattice(['start', '--home', home, '--features', 'slow']);
    running.push(container);
    await container.waitForLine((l) => l.msg === 'slow activation begins');
    const status = await runLattice(['status', '--home', home]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/control port \d+, starting\n/);
    const second = await runLattice(['start', '--home', home]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/a container is already running in .* \(pid \d+, control port \d+\)/);
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
    expect(await container.exited).toBe(0);
    expect(container.lines.map((l) => l.msg)).toContain('container stopped');
  });

  test('--control-port and --log-level are applied; stop deactivates the users of a service before its provider', async () => {
    const home = await distribution();
    const [port] = await freePorts(1);
    const container = await started(home, ['--control-port', String(port), '--log-level', 'debug', '--features', 'app']);
    const control = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { port: number };
    expect(control.port).toBe(port);
    expect(container.lines.some((l) => l.level === 20)).toBe(true);
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
    expect(await container.exited).toBe(0);
    const messages = container.lines.map((l) => l.msg);
    const appDown = messages.findIndex((m) => /^app: deactivating → /.test(m));
    // The host store's deactivate runs once its user is gone (both enter "deactivating" together).
    const storeDown = messages.indexOf('host-store down');
    expect(appDown).toBeGreaterThan(-1);
    expect(storeDown).toBeGreaterThan(appDown);
  });

  test('on a terminal: pretty logs and coloured tables; NO_COLOR turns the colours off', async () => {
    const home = await distribution();
    const container = latticeInTerminal(['start', '--home', home], { NO_COLOR: undefined });
    try {
      await container.seen('container started');
      expect(container.screen()).toMatch(/INFO.*container started/);
      expect(container.screen()).not.toContain('{"level"');
      const coloured = latticeInTerminal(['component', 'list', '--home', home], { NO_COLOR: undefined });
      expect(await coloured.exited).toBe(0);
      expect(coloured.screen()).toContain('\u001b[32mactive\u001b[0m');
      const plain = latticeInTerminal(['component', 'list', '--home', home], { NO_COLOR: '1' });
      expect(await plain.exited).toBe(0);
      expect(plain.screen()).toMatch(/host-store +active/);
      expect(plain.screen()).not.toContain('\u001b[');
    } finally {
      await runLattice(['stop', '--home', home]);
    }
    expect(await container.exited).toBe(0);
  });
});
