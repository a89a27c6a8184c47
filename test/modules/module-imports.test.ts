import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { LatticeError, type Container, type DeployEvent } from '@lattice-scr/lattice';
import { ModuleLoader } from '../../src/modules/ModuleLoader.js';
import { testContainer } from '../helpers/container.js';
import { silentLogger } from '../helpers/logs.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { Recorder } from '../helpers/recorder.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
const running: Container[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await homes.cleanup();
});

const HANGS = 'await new Promise(() => {});\n';

/** A module that counts its imports in a global, so a test sees whether it was imported again. */
function countedModule(name: string): string {
  return `globalThis.__latticeImports = (globalThis.__latticeImports ?? 0) + 1;\n${componentModule({ name })}`;
}
const imports = (): number => (globalThis as { __latticeImports?: number }).__latticeImports ?? 0;

async function home(files: Record<string, string | object>): Promise<string> {
  const dir = await homes.make();
  await writeFiles(dir, files);
  return dir;
}

describe('the URLs modules are imported under', () => {
  test("Lattice's own component modules are first imported as they are (their relative imports stay one module each); others, and a module imported again, under a version", async () => {
    const loader = new ModuleLoader({ logger: silentLogger() });
    const own = join(fileURLToPath(new URL('../../components/', import.meta.url)), 'host', 'index.ts');
    expect((await loader.load(own)).url).toBe(pathToFileURL(own).href);
    // Again, with something that changes its key: a new version.
    expect((await loader.load(own, { key: 'another' })).url).toMatch(/\?lattice-v=/);
    const dir = await home({ 'elsewhere.js': componentModule({ name: 'elsewhere' }) });
    expect((await loader.load(join(dir, 'elsewhere.js'))).url).toMatch(/\?lattice-v=/);
  });
});

describe('module imports never wedge the container', () => {
  test('a deploy/ module whose top-level await never settles times out with MODULE_IMPORT_TIMEOUT naming it; the rest deploys', async () => {
    const dir = await home({ 'deploy/hang.mjs': HANGS, 'deploy/fine.js': componentModule({ name: 'fine' }) });
    const t = testContainer({ home: dir, importTimeoutMs: 300 });
    running.push(t.container);
    const deploys = new Recorder<DeployEvent>();
    t.container.deployFolder?.onDeploy((e) => {
      deploys.push(e);
    });
    await t.container.start();
    expect(t.container.component('fine').state).toBe('active');
    const failed = await deploys.next((e) => e.entry === 'hang.mjs');
    expect(failed.action).toBe('failed');
    expect(failed.error).toContain(`Module ${join(dir, 'deploy', 'hang.mjs')} did not finish importing within 300 ms`);
    expect(failed.error).toContain('--import-timeout');
    expect(t.errors().map((e) => e.msg).join('\n')).toContain('deploy/hang.mjs: Module');
    expect(t.container.unsettledImports()).toEqual([join(dir, 'deploy', 'hang.mjs')]);
  });

  test('stop() while the start waits on a hung import completes at once; the start rejects with CONTAINER_STOPPED', async () => {
    const dir = await home({ 'deploy/hang.mjs': HANGS });
    const t = testContainer({ home: dir, importTimeoutMs: 600_000 });
    const starting = t.container.start();
    await t.logRecorder.next((e) => e.msg === `importing ${join(dir, 'deploy', 'hang.mjs')}`);
    await t.container.stop();
    await expect(starting).rejects.toMatchObject({ code: 'CONTAINER_STOPPED' });
    expect(t.errors()).toEqual([]);
  });

  test('a feature whose module hangs: the install fails with the timeout, and later installs and uninstalls still run', async () => {
    const dir = await home({
      'features.json': {
        features: [
          { name: 'stuck', version: '1.0.0', components: ['stuck.mjs'] },
          { name: 'fine', version: '1.0.0', components: ['fine.js'] },
        ],
      },
      'stuck.mjs': HANGS,
      'fine.js': componentModule({ name: 'fine' }),
    });
    const t = testContainer({ home: dir, importTimeoutMs: 300 });
    running.push(t.container);
    await t.container.start();
    const stuck = t.container.install('stuck');
    const after = t.container.install('fine');
    const error = await stuck.catch((e: unknown) => e);
    expect(LatticeError.is(error, 'FEATURE_INSTALL_FAILED')).toBe(true);
    expect((error as Error).message).toContain(`Module ${join(dir, 'stuck.mjs')} did not finish importing within 300 ms`);
    expect((error as Error).message).toContain('Nothing was installed.');
    expect((await after).components).toEqual([{ name: 'fine', state: 'active' }]);
    await t.container.uninstall('fine');
    // Asked again, the same hung code is waited on again, not imported a second time.
    await expect(t.container.install('stuck')).rejects.toThrow('did not finish importing');
    expect(t.logs.filter((e) => e.msg === `importing ${join(dir, 'stuck.mjs')}`)).toHaveLength(1);
  });

  test('stop() during an install waiting on a hung import undoes the install and completes', async () => {
    const dir = await home({ 'features.json': { features: [{ name: 'stuck', version: '1.0.0', components: ['stuck.mjs'] }] }, 'stuck.mjs': HANGS });
    const t = testContainer({ home: dir, importTimeoutMs: 600_000 });
    await t.container.start();
    const install = t.container.install('stuck');
    await t.logRecorder.next((e) => e.msg === `importing ${join(dir, 'stuck.mjs')}`);
    await t.container.stop();
    await expect(install).rejects.toThrow('The container is stopping; gave up importing');
  });
});

describe('a module is imported once per content', () => {
  test('install/uninstall cycles and dry runs import an unchanged module once; a changed one is imported again', async () => {
    const dir = await home({
      'features.json': { features: [{ name: 'counted', version: '1.0.0', components: ['counted.js'] }] },
      'counted.js': countedModule('counted'),
    });
    const t = testContainer({ home: dir });
    running.push(t.container);
    await t.container.start();
    const before = imports();
    const dry = await t.container.install('counted', { dryRun: true });
    expect(dry.components).toEqual([{ name: 'counted', state: 'not installed' }]);
    for (let i = 0; i < 20; i++) {
      await t.container.install('counted', { dryRun: true });
      await t.container.install('counted');
      expect(t.container.component('counted').state).toBe('active');
      await t.container.uninstall('counted');
    }
    expect(imports() - before).toBe(1);
    await writeFile(join(dir, 'counted.js'), `${countedModule('counted')}// changed\n`);
    await t.container.install('counted');
    expect(imports() - before).toBe(2);
  });

  test('a change in a file the module imports counts as a change of the module', async () => {
    const dir = await home({
      'features.json': { features: [{ name: 'split', version: '1.0.0', components: ['entry.js'] }] },
      'entry.js': `import { edition } from './edition.js';\n${componentModule({ name: 'split' }).replace("Component({ name: \"split\"", 'Component({ name: "split", properties: { edition }')}`,
      'edition.js': 'export const edition = 1;\n',
    });
    const t = testContainer({ home: dir });
    running.push(t.container);
    await t.container.start();
    await t.container.install('split');
    expect(t.container.component('split').properties.edition).toBe(1);
    await t.container.uninstall('split');
    await t.container.install('split');
    await t.container.uninstall('split');
    await writeFile(join(dir, 'edition.js'), 'export const edition = 2;\n');
    await t.container.install('split');
    // Imported again (that its relative imports then load afresh too is the resolve hook's part, which
    // runs in the built container: test/e2e/modules.test.ts).
    expect(t.logs.filter((e) => e.msg === `importing ${join(dir, 'entry.js')}`)).toHaveLength(2);
  });
});

describe('the module loader', () => {
  test('after cancel(), load() refuses before any of the module\'s code runs', async () => {
    const dir = await home({ 'side.mjs': 'globalThis.__latticeSideEffect = true;\nexport const x = 1;\n' });
    const loader = new ModuleLoader({ logger: silentLogger() });
    loader.cancel();
    await expect(loader.load(join(dir, 'side.mjs'))).rejects.toMatchObject({ code: 'CONTAINER_STOPPED' });
    expect((globalThis as { __latticeSideEffect?: boolean }).__latticeSideEffect).toBeUndefined();
    loader.open();
    await loader.load(join(dir, 'side.mjs'));
    expect((globalThis as { __latticeSideEffect?: boolean }).__latticeSideEffect).toBe(true);
  });
});
