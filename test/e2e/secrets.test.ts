import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
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

const CLUSTER_SECRET = 'from-the-environment-0123456789';
const NEW_SECRET = 'typed-on-the-command-line-0123';
const CREDENTIAL = 'hunter2-credential';

/**
 * A component whose configuration schema (hand-written Standard Schema with a JSON Schema, as zod
 * gives one) marks `credential` as writeOnly: the name alone would not say it is a secret.
 */
const UPSTREAM = `import { Activate, Component } from '@lattice-scr/lattice';
const schema = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => ({ value }),
    jsonSchema: { input: () => ({ type: 'object', properties: { credential: { type: 'string', writeOnly: true }, url: { type: 'string' } } }) },
  },
};
export class Upstream {
  activate(context) { context.logger.info('upstream up'); }
}
Activate(Upstream.prototype, 'activate');
Component({ name: 'upstream', immediate: true, configurationPid: 'upstream', configSchema: schema })(Upstream);
`;

function get(port: number, token: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`${path}: ${res.statusCode ?? 0} ${body}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('secrets are shown as •••• everywhere', () => {
  test('the cluster secret from ${env:...} and a schema-marked credential: config get/set/list, component info/list, the control API, the logs', async () => {
    const home = await homes.make();
    const [port] = await freePorts(1);
    await writeFiles(home, {
      'config/cluster.json': { nodes: [{ id: 'a', ip: '127.0.0.1', tcpPort: port }], secret: '${env:LATTICE_E2E_SECRET}' },
      'config/upstream.json': { url: 'https://example.test', credential: CREDENTIAL },
      'deploy/upstream.js': UPSTREAM,
    });
    const lattice = spawnLattice(['start', '--home', home, '--features-file', REPO_FEATURES, '--node-id', 'a', '--log-level', 'debug'], { env: { LATTICE_E2E_SECRET: CLUSTER_SECRET } });
    running.push(lattice);
    await lattice.waitForLine((l) => l.msg === 'upstream up');
    const cli = (...args: string[]) => runLattice([...args, '--home', home]);
    const leaks = (text: string): boolean => [CLUSTER_SECRET, NEW_SECRET, CREDENTIAL].some((secret) => text.includes(secret));

    const got = await cli('config', 'get', 'cluster');
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('"secret": "••••"');
    expect(got.stdout).toContain('As written:');
    expect(got.stdout).toContain('"secret": "${env:LATTICE_E2E_SECRET}"');
    const gotJson = JSON.parse((await cli('config', 'get', 'cluster', '--json')).stdout) as { values: { secret: string }; raw: { secret: string } };
    expect(gotJson.values.secret).toBe('••••');
    expect(gotJson.raw.secret).toBe('${env:LATTICE_E2E_SECRET}');

    const upstream = JSON.parse((await cli('config', 'get', 'upstream', '--json')).stdout) as { values: Record<string, string>; raw: Record<string, string> };
    expect(upstream.values).toEqual({ url: 'https://example.test', credential: '••••' });
    expect(upstream.raw).toEqual({ url: 'https://example.test', credential: '••••' });

    // The echo of config set, in words and JSON; the file holds what was set.
    const set = await cli('config', 'set', 'cluster', `secret=${NEW_SECRET}`);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('"secret":"••••"');
    const setJson = await cli('config', 'set', 'upstream', 'credential=another-credential-value', '--json');
    expect(setJson.stdout).not.toContain('another-credential-value');
    expect(JSON.parse(await readFile(join(home, 'config', 'cluster.json'), 'utf8'))).toMatchObject({ secret: NEW_SECRET });

    const outputs = [
      got.stdout,
      set.stdout,
      (await cli('config', 'list', '--json')).stdout,
      (await cli('config', 'list')).stdout,
      (await cli('component', 'info', 'cluster')).stdout,
      (await cli('component', 'info', 'cluster', '--json')).stdout,
      (await cli('component', 'info', 'upstream', '--json')).stdout,
      (await cli('component', 'list', '--json')).stdout,
    ];
    const info = JSON.parse(outputs[5] as string) as { properties: { secret: string }; configuration: { secret: string } };
    expect(info.properties.secret).toBe('••••');
    expect(info.configuration.secret).toBe('••••');
    expect((JSON.parse(outputs[6] as string) as { properties: { credential: string } }).properties.credential).toBe('••••');

    const control = JSON.parse(await readFile(join(home, 'data', 'control.json'), 'utf8')) as { port: number; token: string };
    for (const path of ['/v1/config', '/v1/config/cluster', '/v1/config/upstream', '/v1/components', '/v1/components/cluster', '/v1/components/upstream']) {
      outputs.push(await get(control.port, control.token, path));
    }
    for (const output of outputs) expect(leaks(output), output).toBe(false);
    expect(leaks(JSON.stringify(lattice.lines)), 'the logs').toBe(false);
  }, 60_000);
});
