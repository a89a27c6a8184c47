import { mkdir, symlink } from 'node:fs/promises';
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
