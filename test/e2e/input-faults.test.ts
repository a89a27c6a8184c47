import { request } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
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

/** Commands that fail: one with the user's input (a usage error), one in its work (a plain Error). */
const COMMANDS = `import { CommandService, CommandUsageError, Component } from '@lattice-scr/lattice';
export class Resize {
  scope = 'disk';
  name = 'resize';
  description = 'resize a volume';
  arguments = [{ name: 'volume', required: true }, { name: 'size', required: true }];
  run([volume, size]) {
    if (!/^[0-9]+G$/.test(size)) throw new CommandUsageError('size must be like 10G, not "' + size + '"');
    throw new Error('volume ' + volume + ' is busy');
  }
}
Component({ name: 'disk.resize', service: CommandService })(Resize);
`;

function post(port: number, token: string, path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: { ok: boolean; error?: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, path, method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let answer = '';
      res.setEncoding('utf8').on('data', (c: string) => (answer += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(answer) as { ok: boolean } });
        } catch {
          reject(new Error(`${method} ${path}: ${res.statusCode ?? 0} ${answer}`));
        }
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('small input faults are the user\'s errors, said clearly, not faults of the container', () => {
  test('a 300-character PID, contributed commands missing arguments or given bad ones, a failing command, cluster send --timeout abc', async () => {
    const home = await homes.make();
    const [port] = await freePorts(1);
    await writeFiles(home, {
      'config/cluster.json': { nodes: [{ id: 'a', ip: '127.0.0.1', tcpPort: port }] },
      'deploy/disk.js': COMMANDS,
    });
    const lattice = spawnLattice(['start', '--home', home, '--features-file', REPO_FEATURES, '--node-id', 'a']);
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'deploy/disk.js deployed: disk.resize');
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);
    const control = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { port: number; token: string };
    const api = (path: string, body: unknown, method?: string) => post(control.port, control.token, path, body, method);

    // A PID too long to be a file name: 400 through the API, exit 2 from the CLI, nothing logged as an error, no file.
    const long = 'p'.repeat(300);
    for (const [method, body] of [['PATCH', { values: { a: 1 } }], ['PUT', { values: { a: 1 } }], ['DELETE', {}], ['GET', undefined]] as const) {
      const answer = await api(`/v1/config/${long}`, body, method);
      expect(answer.status, method).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'CONFIG_PID_INVALID' });
      expect(answer.body.error?.message).toContain('use 1 to 200 letters, digits');
    }
    const set = await cli('config', 'set', long, 'a=1');
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('is not a valid configuration PID: use 1 to 200 letters');
    expect(await readdir(join(home, 'config'))).toEqual(['cluster.json']);
    // The longest PID works.
    expect((await cli('config', 'set', 'q'.repeat(200), 'a=1')).code).toBe(0);

    // Missing arguments: exit 2 with commander's usage, as for the built-ins; through the API, 400 USAGE.
    for (const args of [['disk', 'resize'], ['disk', 'resize', 'v1'], ['cluster', 'send'], ['cluster', 'send', 'a']]) {
      const missing = await cli(...args);
      expect(missing.code, args.join(' ')).toBe(2);
      expect(missing.stderr).toContain('error: missing required argument');
    }
    const noArgs = await api('/v1/commands/disk:resize', { args: ['v1'] });
    expect(noArgs.status).toBe(400);
    expect(noArgs.body.error).toEqual({ code: 'USAGE', message: "disk resize: missing required argument 'size'." });

    // A usage error the command finds: exit 2 and its message; 400 USAGE.
    const badSize = await cli('disk', 'resize', 'v1', 'big');
    expect(badSize).toMatchObject({ code: 2, stderr: 'lattice: size must be like 10G, not "big"\n' });
    expect((await api('/v1/commands/disk:resize', { args: ['v1', 'big'] })).status).toBe(400);
    // The command failing: exit 1 and its message; 422 COMMAND_FAILED, not a 500 with a stack.
    const busy = await cli('disk', 'resize', 'v1', '10G');
    expect(busy).toMatchObject({ code: 1, stderr: 'lattice: volume v1 is busy\n' });
    const busyAnswer = await api('/v1/commands/disk:resize', { args: ['v1', '10G'] });
    expect(busyAnswer).toMatchObject({ status: 422, body: { ok: false, error: { code: 'COMMAND_FAILED', message: 'volume v1 is busy' } } });

    // cluster send --timeout that is not a usable number of milliseconds; add-node with a bad address.
    for (const timeout of ['abc', '-5', '0', '1.5', '99999999999999']) {
      const sent = await cli('cluster', 'send', 'a', 'subject', '1', '--request', '--timeout', timeout);
      expect(sent.code, timeout).toBe(2);
      expect(sent.stderr).toBe(`lattice: --timeout ${timeout}: give a whole number of milliseconds, 1 to 2147483647\n`);
    }
    expect((await cli('cluster', 'add-node', 'x', 'not-an-ip')).code).toBe(2);

    // A cluster.json this node could not take is not written: exit 1 and why.
    const before = await readFile(join(home, 'config', 'cluster.json'), 'utf8');
    const unlisted = await cli('config', 'set', 'cluster', 'nodes=[{"id":"b","ip":"127.0.0.1","tcpPort":1}]');
    expect(unlisted.code).toBe(1);
    expect(unlisted.stderr).toContain('lattice: Configuration cluster was not written (config/cluster.json is unchanged): component cluster: $.nodes: this node\'s id is "a", but config/cluster.json lists no such node');
    expect(await readFile(join(home, 'config', 'cluster.json'), 'utf8')).toBe(before);

    expect(lattice.lines.filter((l) => l.level >= 50)).toEqual([]);
  }, 60_000);
});
