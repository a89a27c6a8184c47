import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ErrorCode, LatticeError, type Container } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
const running: Container[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await homes.cleanup();
});

describe('a features file includes others: a path, or a package\'s features file', () => {
  test('the included features can be installed by name; their modules are found beside their own file; their boot lists are not used', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { include: ['./shared/more.features.json', 'vendor-dist/features.json'], features: [{ name: 'app', features: ['vendor-api', 'shared-thing'], components: ['app.js'] }], boot: ['app'] },
      'app.js': componentModule({ name: 'app', needs: ['VendorApi', 'SharedThing'] }),
      'shared/more.features.json': { features: [{ name: 'shared-thing', components: ['thing.js'] }] },
      'shared/thing.js': componentModule({ name: 'thing', provides: 'SharedThing' }),
      // A package (linked into node_modules, as a workspace is: the test runner compiles what is outside node_modules).
      'packages/vendor-dist/package.json': { name: 'vendor-dist', type: 'module', exports: { './features.json': './features.json' } },
      'packages/vendor-dist/features.json': { features: [{ name: 'vendor-api', version: '2.0.0', components: ['dist/api.js'] }, { name: 'vendor-extra', components: ['dist/extra.js'] }], boot: ['vendor-extra'] },
      'packages/vendor-dist/dist/api.js': componentModule({ name: 'vendor-api', provides: 'VendorApi' }),
      'packages/vendor-dist/dist/extra.js': componentModule({ name: 'vendor-extra' }),
    });
    await mkdir(join(home, 'node_modules'));
    await symlink(join(home, 'packages', 'vendor-dist'), join(home, 'node_modules', 'vendor-dist'));
    const { container, logs } = testContainer({ home, deploy: false, bootFeatures: ['app'] });
    running.push(container);
    await container.start();
    expect(logs.filter((e) => e.level >= 40)).toEqual([]);
    const installed = container.features.list().filter((f) => f.installed).map((f) => f.name).sort();
    expect(installed).toEqual(['app', 'shared-thing', 'vendor-api']);
    expect(container.component('app').state).toBe('active');
    expect(container.features.list().map((f) => f.name).sort()).toEqual(['app', 'shared-thing', 'vendor-api', 'vendor-extra']);
    await container.install('vendor-extra');
    expect(container.component('vendor-extra').state).toBe('active');
  });

  test('an include that cannot be found, or that comes back around, is a problem naming the file, its place and the fix', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { include: ['./a.features.json', 'no-such-package/features.json', 7], features: [] },
      'a.features.json': { include: ['./features.json'], features: [] },
    });
    const { container } = testContainer({ home, deploy: false });
    running.push(container);
    const error = await container.start().then(() => undefined, (e: unknown) => e);
    expect(LatticeError.is(error, ErrorCode.FEATURES_INVALID)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('./a.features.json $.include[0]: "./features.json" includes this file again (a circle of includes); remove one of them');
    expect(message).toContain(`features.json $.include[1]: cannot find "no-such-package/features.json" (from ${home}); install the package that has it (npm install), or fix the path`);
    expect(message).toContain('features.json $.include[2]: must be the path of a features file');
  });
});

describe('a remembered feature that no features file defines any more', () => {
  test('is forgotten at start with a warning (its file went while the container was stopped), not a failure at every start', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { features: [{ name: 'kept', components: ['kept.js'] }] },
      'kept.js': componentModule({ name: 'kept' }),
      'data/features.json': { installed: [{ name: 'kept', version: '0.0.0' }, { name: 'ext', version: '0.0.0' }] },
    });
    const { container, logs } = testContainer({ home, deploy: false });
    running.push(container);
    await container.start();
    expect(container.features.list().filter((f) => f.installed).map((f) => f.name)).toEqual(['kept']);
    expect(container.features.failedAtStart()).toEqual([]);
    expect(logs.filter((e) => e.level >= 40).map((e) => e.msg)).toEqual([
      'feature ext was installed before, but no features file defines it now (was its file removed?): forgotten; install it again once a features file defines it',
    ]);
    expect(JSON.parse(await readFile(join(home, 'data', 'features.json'), 'utf8'))).toEqual({ installed: [{ name: 'kept', version: '0.0.0' }] });
  });
});

describe('an install undone because a component did not come up', () => {
  test('says why without the component\'s own advice (it is gone with the install), and how to go on', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { features: [{ name: 'needs-config', components: ['strict.js'] }] },
      'strict.js': `import { Component } from '@lattice-scr/lattice';
const schema = { '~standard': { version: 1, vendor: 'test', validate: (v) => (typeof v.name === 'string' ? { value: v } : { issues: [{ message: 'must be a string', path: ['name'] }] }) } };
export class Strict {}
Component({ name: 'strict', configurationPolicy: 'require', configSchema: schema })(Strict);
`,
      'config/strict.json': { name: 42 },
    });
    const { container } = testContainer({ home, deploy: false });
    running.push(container);
    await container.start();
    const error = await container.install('needs-config').then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toBe(
      'Cannot install needs-config: 1 component did not come up, so the install was undone:\n' +
        '  - strict is unsatisfied-configuration: Configuration "strict" cannot be used: config/strict.json: $.name: must be a string.\n' +
        'Fix the cause, then install it again.',
    );
  });
});
