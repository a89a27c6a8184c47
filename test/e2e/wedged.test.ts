import { readFile } from 'node:fs/promises';
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

describe('the lattice command, against what used to wedge it or lose work', () => {
  test('a deploy/ module whose top-level await never settles: status says starting, lattice stop still stops it', async () => {
    const home = await homes.make();
    await writeFiles(home, { 'deploy/hang.mjs': 'await new Promise(() => {});\n' });
    const container = spawnLattice(['start', '--home', home, '--log-level', 'debug']);
    running.push(container);
    await container.waitForLine((l) => l.msg === `importing ${join(home, 'deploy', 'hang.mjs')}`);
    const status = await runLattice(['status', '--home', home]);
    expect(status.stdout).toContain(', starting');
    const stop = await runLattice(['stop', '--home', home]);
    expect(stop.code).toBe(0);
    expect(await container.exited).toBe(0);
    expect(container.lines.map((l) => l.msg)).toContain(`the import of ${join(home, 'deploy', 'hang.mjs')} never finished; exiting without it`);
  });

  test('--import-timeout gives up on it: the container starts, and says which module and why', async () => {
    const home = await homes.make();
    await writeFiles(home, { 'deploy/hang.mjs': 'await new Promise(() => {});\n' });
    const container = spawnLattice(['start', '--home', home, '--import-timeout', '300']);
    running.push(container);
    await container.waitForLine((l) => l.msg === 'container started');
    const line = await container.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('deploy/hang.mjs:'));
    expect(line.msg).toContain('did not finish importing within 300 ms');
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
  });

  test('config set with a value nested 10,000 levels deep is a usage error, not a stack overflow', async () => {
    const home = await homes.make();
    const result = await runLattice(['config', 'set', 'p', `k=${'['.repeat(10_000)}${']'.repeat(10_000)}`, '--home', home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the value of "k" nests arrays and objects more than 256 levels deep, which Lattice does not read; flatten it');
  });

  test('20 concurrent `lattice config set P kN=N` all exit 0 and every key is kept', async () => {
    const home = await homes.make();
    const container = spawnLattice(['start', '--home', home]);
    running.push(container);
    await container.waitForLine((l) => l.msg === 'container started');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runLattice(['config', 'set', 'crowd', `k${i}=${i}`, '--home', home], { timeoutMs: 60_000 })));
    expect(results.map((r) => r.code)).toEqual(results.map(() => 0));
    const expected = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    expect(JSON.parse(await readFile(join(home, 'config', 'crowd.json'), 'utf8'))).toEqual(expected);
    const got = await runLattice(['config', 'get', 'crowd', '--json', '--home', home]);
    expect((JSON.parse(got.stdout) as { values: unknown }).values).toEqual(expected);
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
  });

  test('an exception thrown from a component\'s timer, and a promise it leaves rejected, are logged; the container goes on', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'deploy/careless.js': `import { Activate, Component } from '@lattice-scr/lattice';
export class Careless {
  activate() {
    setTimeout(() => { throw new Error('boom in a timer'); }, 0);
    void Promise.reject(new Error('stray promise'));
  }
}
Activate(Careless.prototype, 'activate');
Component({ name: 'careless' })(Careless);
`,
    });
    const container = spawnLattice(['start', '--home', home]);
    running.push(container);
    await container.waitForLine((l) => l.msg === 'uncaught exception (from a timer or event handler, say), the container goes on: boom in a timer');
    await container.waitForLine((l) => l.msg === 'unhandled promise rejection: stray promise');
    const status = await runLattice(['component', 'list', '--home', home]);
    expect(status.stdout).toMatch(/careless +active/);
    expect((await runLattice(['stop', '--home', home])).code).toBe(0);
    expect(await container.exited).toBe(0);
  });
});
