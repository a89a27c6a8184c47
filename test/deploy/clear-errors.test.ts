import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Component, Container, Reference, serviceToken, type DeployEvent } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { Recorder } from '../helpers/recorder.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
const running: Container[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await homes.cleanup();
});

async function startWith(files: Record<string, string | object>) {
  const home = await homes.make();
  await writeFiles(home, files);
  const t = testContainer({ home });
  running.push(t.container);
  const deploys = new Recorder<DeployEvent>();
  t.container.deployFolder?.onDeploy((e) => {
    deploys.push(e);
  });
  await t.container.start();
  const messages = (): string[] => t.logs.filter((e) => e.level >= 40).map((e) => e.msg);
  return { ...t, home, deploys, messages };
}

describe('errors that say what to do', () => {
  test('a deploy/ module that exports no @Component class says how to declare one, and the version before stays', async () => {
    const t = await startWith({ 'deploy/widget.js': componentModule({ name: 'widget' }) });
    expect(t.container.component('widget').state).toBe('active');
    await writeFile(join(t.home, 'deploy', 'widget.js'), 'export class Widget {}\n');
    const failed = await t.deploys.next((e) => e.action === 'failed');
    expect(failed.code).toBe('MODULE_NO_COMPONENTS');
    expect(failed.error).toBe(
      'exports no @Component class, so there is nothing to deploy (the version before stays deployed). Export a class declared as a component: `@Component({ name: "my-component" }) export class MyComponent {}`, or in plain JavaScript `Component({ name: "my-component" })(MyComponent)` before exporting it. A helper of another module belongs beside it in a folder module (deploy/name/index.js and its files).',
    );
    expect(t.container.component('widget').state).toBe('active');
  });

  test('a deploy/ folder without index.js is logged, not ignored; with only an index.ts, it says to compile it', async () => {
    const t = await startWith({ 'deploy/parts/data.json': {}, 'deploy/typed/index.ts': 'export class Typed {}\n' });
    expect(t.messages()).toContain("deploy/parts/ has no index.js or index.mjs, so it is not deployed. A folder module's entry is its index.js; add one that exports the components.");
    expect(t.messages()).toContain('deploy/typed/ has an index.ts but no index.js: Node imports JavaScript only. Compile it (tsc, with "experimentalDecorators") so that deploy/typed/index.js exists.');
  });

  test('a deploy/ folder that holds the modules a features file names is not warned about', async () => {
    const t = await startWith({
      'deploy/mods/one.js': componentModule({ name: 'one' }),
      'deploy/app.features.json': { features: [{ name: 'app', version: '1.0.0', components: ['mods/one.js'], install: 'auto' }] },
    });
    expect(t.container.component('one').state).toBe('active');
    expect(t.messages().filter((m) => m.includes('deploy/mods'))).toEqual([]);
    expect(t.logs.map((e) => e.msg)).toContain('deploy/mods/ holds modules of features; not deploying it on its own');
  });

  test('a .ts file dropped into deploy/ says it must be compiled', async () => {
    const t = await startWith({});
    await writeFile(join(t.home, 'deploy', 'late.ts'), 'export class Late {}\n');
    await t.logRecorder.next((e) => e.msg.startsWith('deploy/late.ts'));
    expect(t.messages()).toContain('deploy/late.ts is TypeScript, which Node cannot import: compile it to JavaScript (tsc, with "experimentalDecorators") and put the .js file in deploy/ instead.');
  });

  test('a deploy/ component that fails to activate is logged with the file it came from', async () => {
    const t = await startWith({ 'deploy/faulty.js': componentModule({ name: 'faulty', activate: "throw new Error('no socket')" }) });
    expect(t.container.component('faulty').state).toBe('failed-activation');
    const line = t.errors().find((e) => e.msg.startsWith('component faulty'));
    expect(line?.msg).toBe('component faulty (from deploy/faulty.js) failed to activate: no socket');
    expect(line?.module).toBe('deploy/faulty.js');
  });

  test('a missing npm package is named, with the file of the module that imports it', async () => {
    const t = await startWith({
      'deploy/needy/index.js': "import { helper } from './helper.js';\nexport const unused = helper;\n",
      'deploy/needy/helper.js': "import pad from 'no-such-package-for-lattice';\nexport const helper = pad;\n",
    });
    const failed = await t.deploys.next((e) => e.entry === 'needy');
    expect(failed.error).toContain(`Cannot find package 'no-such-package-for-lattice' imported from ${join(t.home, 'deploy', 'needy', 'helper.js')}`);
    expect(failed.error).toContain('Install it where the module can find it (npm install no-such-package-for-lattice, in the module\'s folder or one above it)');
  });

  test('feature install name@range with no version in range lists the versions there are', async () => {
    const t = await startWith({
      'features.json': {
        features: [
          { name: 'x', version: '1.2.0', components: [] },
          { name: 'x', version: '1.0.0', components: [] },
        ],
      },
    });
    await expect(t.container.install('x@^9.0.0')).rejects.toMatchObject({
      code: 'FEATURE_NOT_FOUND',
      message: 'Feature "x" has no version in the range ^9.0.0: the versions defined are 1.0.0, 1.2.0. Ask for one of those (x@1.2.0, or x for the highest), or define a version in the range.',
    });
  });

  test('name@garbage says it is not a version range; a refused config write says whether the file exists', async () => {
    const t = await startWith({ 'features.json': { features: [{ name: 'x', version: '1.0.0', components: [] }] } });
    await expect(t.container.install('x@garbage!')).rejects.toThrow('"garbage!" is not a version range. Ask for x@1.2.0, x@^1.0.0 (any semver range), or just x for the highest version.');
    t.container.register(
      (() => {
        class Strict {}
        Reference({ service: serviceToken('test.clear.Nothing'), cardinality: '0..1' })(Strict.prototype, 'db');
        Component({ name: 'strict' })(Strict);
        return Strict;
      })(),
    );
    // A bad target filter: the message quotes the filter error, ending in one full stop.
    await expect(t.container.config.update('strict', { 'db.target': '(role=primary' })).rejects.toThrow(
      /^Configuration strict was not written \(config\/strict\.json was not created\): component strict: \$\["db\.target"\]: .*[^.]\. Give values the component accepts\.$/,
    );
  });

  test('boot naming an unknown feature says the fix', async () => {
    const home = await homes.make();
    await writeFiles(home, { 'features.json': { features: [{ name: 'core', version: '1.0.0', components: [] }], boot: ['coer'] } });
    const container = new Container({ home, logLevel: 'silent' });
    await expect(container.start()).rejects.toThrow('$.boot[0]: boot feature "coer" is not defined (did you mean "core"?); define it in a features file, or take it out of "boot"');
  });
});

