import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ErrorCode, type Container, type DeployEvent } from '@lattice-scr/lattice';
import { FeatureCatalog } from '../../src/features/FeatureCatalog.js';
import { formatProblem } from '../../src/features/FeatureDefinition.js';
import { readFeaturesFile } from '../../src/features/readFeaturesFile.js';
import { testContainer } from '../helpers/container.js';
import { deferred } from '../helpers/deferred.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { rejectionOf } from '../helpers/errors.js';
import { Recorder } from '../helpers/recorder.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
const running: Container[] = [];
beforeEach(() => {
  (globalThis as { __latticeTestLog?: string[] }).__latticeTestLog = [];
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await homes.cleanup();
});

async function home(files: Record<string, string | object>): Promise<string> {
  const dir = await homes.make();
  await writeFiles(dir, files);
  return dir;
}

function containerIn(dir: string, options: { deploy?: boolean } = {}) {
  const t = testContainer({ home: dir, deploy: options.deploy ?? false });
  running.push(t.container);
  const deploys = new Recorder<DeployEvent>();
  t.container.deployFolder?.onDeploy((e) => {
    deploys.push(e);
  });
  return { ...t, deploys };
}

const remembered = async (dir: string): Promise<string[]> =>
  (JSON.parse(await readFile(join(dir, 'data', 'features.json'), 'utf8')) as { installed: { name: string }[] }).installed.map((f) => f.name);

/**
 * A started container whose features file defines `slow` (with the configuration `slowcfg`): its
 * component's activate waits until `gate` is resolved.
 */
async function startedWithSlowFeature() {
  const gate = deferred();
  (globalThis as { __latticeGate?: Promise<void> }).__latticeGate = gate.promise;
  const dir = await home({
    'features.json': { features: [{ name: 'slow', components: ['slow.js'], config: { slowcfg: { a: 1 } } }] },
    'slow.js': componentModule({ name: 'slow', activate: 'return globalThis.__latticeGate;' }),
  });
  const { container } = containerIn(dir);
  await container.start();
  return { gate, dir, container };
}

/** Regression tests, each named after the bug it guards against (found in review). */
describe('features and deploy: regressions', () => {
  test('a remembered feature that fails at start stays remembered', async () => {
    const dir = await home({
      'features.json': { features: [{ name: 'good', components: ['good.js'] }, { name: 'flaky', components: ['flaky.js'] }], boot: ['good'] },
      'good.js': componentModule({ name: 'good' }),
      'flaky.js': "throw new Error('not built yet');\n",
      'data/features.json': { installed: [{ name: 'flaky', version: '0.0.0' }] },
    });
    const { container } = containerIn(dir);
    await container.start();
    expect(container.component('good').state).toBe('active');
    expect(await remembered(dir)).toEqual(['flaky']);
    // Uninstalling it is how to forget it.
    expect((await container.uninstall('flaky')).uninstalled).toEqual(['flaky@0.0.0']);
    expect(await remembered(dir)).toEqual([]);
  });

  test('a feature both boot and remembered (installed by hand after a start that failed to) that fails at start is tried and reported once', async () => {
    const dir = await home({
      'features.json': { features: [{ name: 'flaky', components: ['flaky.js'] }], boot: ['flaky'] },
      'flaky.js': "throw new Error('not built yet');\n",
      'data/features.json': { installed: [{ name: 'flaky', version: '0.0.0' }] },
    });
    const { container, logs } = containerIn(dir);
    await container.start();
    expect(container.features.failedAtStart().map((f) => f.name)).toEqual(['flaky']);
    expect(logs.filter((e) => e.msg.startsWith('feature flaky')).length).toBe(1);
    expect(await remembered(dir)).toEqual(['flaky']);
  });

  test('a boot feature whose newest version fails at start, and an older version remembered (installed by hand): the older one is installed', async () => {
    const dir = await home({
      'features.json': { features: [{ name: 'flaky', version: '2.0.0', components: ['flaky.js'] }, { name: 'flaky', version: '1.0.0', components: ['good.js'] }], boot: ['flaky'] },
      'flaky.js': "throw new Error('not built yet');\n",
      'good.js': componentModule({ name: 'good' }),
      'data/features.json': { installed: [{ name: 'flaky', version: '1.0.0' }] },
    });
    const { container } = containerIn(dir);
    await container.start();
    expect(container.component('good').state).toBe('active');
    expect(container.features.failedAtStart()).toEqual([]);
  });

  test('features from deploy/*.features.json installed by hand are installed again at the next start', async () => {
    const dir = await home({ 'deploy/x.features.json': { features: [{ name: 'x', components: ['lib/x.js'] }] }, 'deploy/lib/x.js': componentModule({ name: 'x' }) });
    const first = containerIn(dir, { deploy: true });
    await first.container.start();
    await first.container.install('x');
    await first.container.stop();
    const second = containerIn(dir, { deploy: true });
    await second.container.start();
    expect(second.container.component('x').state).toBe('active');
    expect(await remembered(dir)).toEqual(['x']);
  });

  test('removing a deploy features file does not force out features of other files that need its features', async () => {
    const dir = await home({
      'deploy/a-lib.features.json': { features: [{ name: 'lib', components: ['mods/lib.js'] }] },
      'deploy/b-app.features.json': { features: [{ name: 'app', features: ['lib'], components: ['mods/app.js'] }] },
      'deploy/mods/lib.js': componentModule({ name: 'lib', provides: 'Lib' }),
      'deploy/mods/app.js': componentModule({ name: 'app', needs: ['Lib'] }),
    });
    const { container, deploys } = containerIn(dir, { deploy: true });
    await container.start();
    await container.install('app');
    await rm(join(dir, 'deploy', 'a-lib.features.json'));
    await deploys.next((e) => e.action === 'features-removed');
    expect(container.component('app').state).toBe('active');
    expect(container.features.list().filter((f) => f.installed).map((f) => f.name)).toEqual(['app', 'lib']);
    expect(await remembered(dir)).toEqual(['app']);
  });

  test('a redeploy that cannot be registered keeps the version before', async () => {
    const dir = await home({ 'deploy/x.js': componentModule({ name: 'x1' }) });
    const { container, deploys } = containerIn(dir, { deploy: true });
    await container.start();
    await writeFile(
      join(dir, 'deploy', 'x.js'),
      "import { Component } from '@lattice-scr/lattice';\nexport class A {}\nexport class B {}\nComponent({ name: 'dup' })(A);\nComponent({ name: 'dup' })(B);\n",
    );
    const failed = await deploys.next((e) => e.action === 'failed');
    expect(failed.error).toContain('declares component name dup twice; nothing changed');
    expect(failed.code).toBe('COMPONENT_NAME_DUPLICATE');
    expect(container.component('x1').state).toBe('active');
    expect(container.deployFolder?.deployed()).toEqual({ 'x.js': ['x1'] });
  });

  test('stop() during start() stops everything, the deploy watcher included', async () => {
    const gate = deferred();
    (globalThis as { __latticeGate?: Promise<void> }).__latticeGate = gate.promise;
    const dir = await home({
      'features.json': { features: [{ name: 'slow', components: ['slow.js'] }], boot: ['slow'] },
      'slow.js': componentModule({ name: 'slow', activate: 'return globalThis.__latticeGate;' }),
    });
    const { container, deploys } = containerIn(dir, { deploy: true });
    const starting = container.start();
    await container.whenState('slow', 'activating');
    const stopping = container.stop();
    gate.resolve();
    expect((await rejectionOf(starting)).code).toBe(ErrorCode.CONTAINER_STOPPED);
    await stopping;
    expect(container.running).toBe(false);
    // Nothing watches deploy/ any more: a module dropped in now is not deployed.
    await writeFiles(dir, { 'deploy/late.js': componentModule({ name: 'late' }) });
    await container.settled();
    expect(deploys.items).toEqual([]);
    expect(container.hasComponent('late')).toBe(false);
  });

  test('uninstall after one of the feature components was unregistered by hand still uninstalls cleanly', async () => {
    const dir = await home({
      'features.json': { features: [{ name: 'f', components: ['a.js', 'b.js'] }] },
      'a.js': componentModule({ name: 'a' }),
      'b.js': componentModule({ name: 'b' }),
    });
    const { container } = containerIn(dir);
    await container.start();
    await container.install('f');
    await container.unregister('a');
    const report = await container.uninstall('f');
    expect(report.uninstalled).toEqual(['f@0.0.0']);
    expect(container.hasComponent('b')).toBe(false);
    expect(container.features.list()[0]?.installed).toBe(false);
  });

  test('an install never overwrites a configuration file the user wrote, even one not read yet', async () => {
    const dir = await home({
      'features.json': { features: [{ name: 'c', components: ['c.js'], config: { fcfg: { from: 'feature' } } }] },
      'c.js': componentModule({ name: 'c' }),
    });
    const { container } = containerIn(dir);
    await container.start();
    await writeFile(join(dir, 'config', 'fcfg.json'), '{ "from": "user" }');
    const report = await container.install('c');
    expect(report.configs).toEqual([]);
    expect(JSON.parse(await readFile(join(dir, 'config', 'fcfg.json'), 'utf8'))).toEqual({ from: 'user' });
  });

  test('stop() waits for an install in progress, which is undone', async () => {
    const { gate, dir, container } = await startedWithSlowFeature();
    const installing = container.install('slow');
    await container.whenState('slow', 'activating');
    const stopping = container.stop();
    gate.resolve();
    await stopping;
    const error = await rejectionOf(installing);
    expect(error.code).toBe(ErrorCode.CONTAINER_STOPPED);
    expect(error.message).toContain('the install was undone');
    expect(container.hasComponent('slow')).toBe(false);
    await expect(readFile(join(dir, 'config', 'slowcfg.json'), 'utf8')).rejects.toThrow();
  });

  test('a component unregistered while its install waits for it: the install fails, is undone, and nothing is remembered', async () => {
    const { gate, dir, container } = await startedWithSlowFeature();
    const installing = container.install('slow');
    await container.whenState('slow', 'activating');
    const unregistering = container.unregister('slow');
    gate.resolve();
    await unregistering;
    const error = await rejectionOf(installing);
    expect(error.code).toBe(ErrorCode.FEATURE_INSTALL_FAILED);
    expect(error.message).toBe('Cannot install slow: slow was unregistered while the install waited for it, so the install was undone. Install it again.');
    expect(container.features.info('slow').installed).toBe(false);
    await expect(readFile(join(dir, 'config', 'slowcfg.json'), 'utf8')).rejects.toThrow();
    await expect(readFile(join(dir, 'data', 'features.json'), 'utf8')).rejects.toThrow();
  });

  test('an install that waits says, every half second, which components it waits for', async () => {
    const { gate, container } = await startedWithSlowFeature();
    const progress = new Recorder<string>();
    const installing = container.install('slow', {
      onProgress: (p) => {
        if (p.phase === 'activating') progress.push(p.waitingFor.join(','));
      },
    });
    // Told again while nothing changes: a heartbeat, not only news.
    await progress.waitFor((items) => items.length >= 3, 10_000);
    gate.resolve();
    await installing;
    expect(progress.items.slice(0, 3)).toEqual(['slow', 'slow', 'slow']);
  });

  test('a configuration file or deploy module removed while the container was stopped is gone after the restart', async () => {
    const dir = await home({ 'config/x.json': { a: 1 }, 'deploy/m.js': componentModule({ name: 'm' }) });
    const { container } = containerIn(dir, { deploy: true });
    await container.start();
    expect(container.config.get('x')?.values).toEqual({ a: 1 });
    expect(container.hasComponent('m')).toBe(true);
    await container.stop();
    await rm(join(dir, 'config', 'x.json'));
    await rm(join(dir, 'deploy', 'm.js'));
    await container.start();
    expect(container.config.get('x')).toBeUndefined();
    expect(container.hasComponent('m')).toBe(false);
  });

  test('a deploy features file with a problem does not block other features files, and is retried when they arrive', async () => {
    const dir = await home({});
    const { container, deploys } = containerIn(dir, { deploy: true });
    await container.start();
    await writeFiles(dir, { 'deploy/b-app.features.json': { features: [{ name: 'app', features: ['lib'] }] } });
    await deploys.next((e) => e.entry === 'b-app.features.json' && e.action === 'failed');
    await writeFiles(dir, { 'deploy/other.features.json': { features: [{ name: 'other' }] } });
    await deploys.next((e) => e.entry === 'other.features.json' && e.action === 'features-added');
    await writeFiles(dir, { 'deploy/a-lib.features.json': { features: [{ name: 'lib' }] } });
    await deploys.next((e) => e.entry === 'b-app.features.json' && e.action === 'features-added');
    expect(container.features.list().map((f) => f.name)).toEqual(['app', 'lib', 'other']);
  });

  test('installing a dependent uses the installed version when it satisfies the range', async () => {
    const dir = await home({
      'features.json': { features: [{ name: 'b', version: '1.0.0' }, { name: 'b', version: '1.1.0' }, { name: 'a', features: [{ name: 'b', version: '^1.0.0' }] }] },
    });
    const { container } = containerIn(dir);
    await container.start();
    await container.install('b@1.0.0');
    const report = await container.install('a');
    expect(report.features).toEqual([
      { name: 'b', version: '1.0.0', alreadyInstalled: true },
      { name: 'a', version: '0.0.0', alreadyInstalled: false },
    ]);
  });

  test('a missing module under a symlinked root is reported missing, not outside; one bad feature causes no knock-on reports; a BOM is ignored', async () => {
    const real = await home({ 'features.json': '\uFEFF{ "features": [{ "name": "m", "components": ["dist/nope.js"] }, { "name": "core", "version": "x" }, { "name": "app", "features": ["core"] }], "boot": ["core"] }' });
    const linkParent = await homes.make();
    await symlink(real, join(linkParent, 'dist'));
    const { document, problems } = await readFeaturesFile(join(linkParent, 'dist', 'features.json'), { source: 'features.json' });
    expect(new FeatureCatalog([document]).problems()).toEqual([]);
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^features\.json \$\.features\[0\]\.components\[0\]: module "dist\/nope\.js" does not exist/),
      'features.json $.features[1].version: "x" is not a semver version such as "1.2.0"',
    ]);
  });
});
