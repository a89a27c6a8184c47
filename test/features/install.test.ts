import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Component, ErrorCode, LatticeError } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { rejectionOf } from '../helpers/errors.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { Recorder } from '../helpers/recorder.js';
import { moduleTests } from '../helpers/moduleTests.js';

const { homes, running, log } = moduleTests();

/** An ONOS-like distribution: an API feature, a core feature, an app feature, and one that fails. */
function onosDistribution(): Record<string, string | object> {
  return {
    'features.json': {
      features: [
        { name: 'onos-api', version: '1.0.0', description: 'Host store', components: ['modules/host.js'] },
        { name: 'onos-core', version: '1.0.0', description: 'Messaging and cluster', features: ['onos-api'], components: ['modules/messaging.js', 'modules/cluster.js'] },
        {
          name: 'onos-app-config',
          version: '1.0.0',
          features: ['onos-api', { name: 'onos-core', version: '^1.0.0' }],
          components: ['modules/netcfg.js'],
          config: { netcfg: { source: 'feature' }, 'netcfg-extra': { added: true } },
        },
        { name: 'broken-app', version: '0.1.0', features: ['onos-api'], components: ['modules/broken.js'] },
        { name: 'broken-core-app', version: '0.1.0', features: ['onos-core'], components: ['modules/broken.js'], config: { 'broken-extra': { added: true } } },
        { name: 'unimportable', version: '0.1.0', features: ['onos-api'], components: ['modules/throws.js'] },
        { name: 'lonely-app', version: '0.1.0', features: ['onos-api'], components: ['modules/lonely.js'] },
      ],
      boot: ['onos-api'],
    },
    'modules/host.js': componentModule({ name: 'host-store', provides: 'HostAdminService' }),
    'modules/messaging.js': componentModule({ name: 'messaging', provides: 'ClusterCommunicationService' }),
    'modules/cluster.js': componentModule({ name: 'cluster', provides: 'ClusterService', needs: ['ClusterCommunicationService'] }),
    'modules/netcfg.js': componentModule({ name: 'netcfg', needs: ['HostAdminService', 'ClusterService'] }),
    'modules/broken.js': componentModule({ name: 'broken', needs: ['HostAdminService'], activate: "throw new Error('bad address file')" }),
    'modules/throws.js': "throw new Error('cannot even load');\n",
    'modules/lonely.js': componentModule({ name: 'lonely', needs: ['HostAdminService', 'NobodyProvidesThis'] }),
  };
}

async function startDistribution(files = onosDistribution(), home?: string) {
  const dir = home ?? (await homes.make());
  if (!home) await writeFiles(dir, files);
  const t = testContainer({ home: dir, deploy: false });
  running.push(t.container);
  await t.container.start();
  return { ...t, home: dir };
}

describe('features: install and uninstall', () => {
  test('boot features install at start; install resolves the closure, applies config without overwriting, and waits for the components', async () => {
    const { container, home } = await startDistribution();
    expect(container.features.list().filter((f) => f.installed).map((f) => f.name)).toEqual(['onos-api']);
    expect(container.component('host-store').state).toBe('active');
    const reloads = new Recorder<string>();
    container.configFolder?.onReload((pid, outcome) => {
      reloads.push(`${pid}:${outcome}`);
    });

    // The user's own file, written just before the install (the watcher may not have read it yet).
    await writeFiles(home, { 'config/netcfg.json': { source: 'user' } });
    const report = await container.install('onos-app-config');
    expect(report.features.map((f) => `${f.name}${f.alreadyInstalled ? ' (already)' : ''}`)).toEqual(['onos-api (already)', 'onos-core', 'onos-app-config']);
    expect(report.components.map((c) => `${c.name}=${c.state}`)).toEqual(['messaging=active', 'cluster=active', 'netcfg=active']);
    // The user's netcfg.json is left alone; the missing one is written.
    expect(report.configs).toEqual(['netcfg-extra']);
    expect(JSON.parse(await readFile(join(home, 'config', 'netcfg.json'), 'utf8'))).toEqual({ source: 'user' });
    expect(JSON.parse(await readFile(join(home, 'config', 'netcfg-extra.json'), 'utf8'))).toEqual({ added: true });
    await reloads.waitFor((items) => items.includes('netcfg:applied'));
    await container.settled();
    expect(container.component('netcfg').properties.source).toBe('user');

    const list = Object.fromEntries(container.features.list().map((f) => [f.name, f]));
    expect(list['onos-app-config']).toMatchObject({ installed: true, installedAs: 'requested', requiredBy: [] });
    expect(list['onos-core']).toMatchObject({ installed: true, installedAs: 'dependency', requiredBy: ['onos-app-config'] });
    expect(list['onos-api']).toMatchObject({ installed: true, installedAs: 'requested', boot: true, requiredBy: ['onos-core', 'onos-app-config'] });
    const info = container.features.info('onos-app-config');
    expect(info.dependencies).toEqual([
      { name: 'onos-api', version: '1.0.0', installed: true, dependencies: [] },
      { name: 'onos-core', version: '1.0.0', installed: true, dependencies: [{ name: 'onos-api', version: '1.0.0', installed: true, dependencies: [] }] },
    ]);
    expect(info.components).toEqual([{ name: 'netcfg', state: 'active' }]);
    expect(info.modules).toEqual(['modules/netcfg.js']);
  });

  test('each component says which module it came from; one registered in code says none', async () => {
    const { container } = await startDistribution();
    await container.install('onos-core');
    expect(container.component('messaging').module).toBe('modules/messaging.js');
    expect(container.component('host-store').module).toBe('modules/host.js');
    @Component({ name: 'in-code' })
    class InCode {}
    container.register(InCode);
    expect(container.component('in-code').module).toBeUndefined();
  });

  test('dry run returns the plan and changes nothing', async () => {
    const { container, home } = await startDistribution();
    const plan = await container.install('onos-app-config', { dryRun: true });
    expect(plan.dryRun).toBe(true);
    expect(plan.modules.map((m) => m.slice(home.length + 1))).toEqual(['modules/messaging.js', 'modules/cluster.js', 'modules/netcfg.js']);
    expect(plan.components.map((c) => c.name)).toEqual(['messaging', 'cluster', 'netcfg']);
    expect(plan.configs).toEqual(['netcfg', 'netcfg-extra']);
    expect(container.components().map((c) => c.name)).toEqual(['host-store']);
    expect(container.config.list()).toEqual([]);
    expect(container.features.list().filter((f) => f.installed).map((f) => f.name)).toEqual(['onos-api']);
  });

  test('a component that fails to activate: clear report, and everything this install added is removed again', async () => {
    const { container } = await startDistribution();
    const error = await rejectionOf(container.install('broken-app'));
    expect(LatticeError.is(error, ErrorCode.FEATURE_INSTALL_FAILED)).toBe(true);
    expect(error.message).toContain('broken is failed-activation: Activation failed (ACTIVATION_FAILED): bad address file.');
    expect(error.message).toContain('the install was undone');
    expect(container.components().map((c) => c.name)).toEqual(['host-store']);
    expect(container.component('host-store').state).toBe('active');
    expect(container.features.list().find((f) => f.name === 'broken-app')?.installed).toBe(false);

    // The features it pulled in, their components and the configuration it brought go too.
    const again = await rejectionOf(container.install('broken-core-app'));
    expect(again.message).toContain('the install was undone');
    expect(container.components().map((c) => c.name)).toEqual(['host-store']);
    expect(container.features.list().filter((f) => f.installed).map((f) => f.name)).toEqual(['onos-api']);
    expect(container.config.list()).toEqual([]);
  });

  test('a component left waiting for a service nobody provides: the report says what it waits for, and the install is undone', async () => {
    const { container } = await startDistribution();
    const error = await rejectionOf(container.install('lonely-app'));
    expect(LatticeError.is(error, ErrorCode.FEATURE_INSTALL_FAILED)).toBe(true);
    expect(error.message).toContain('Cannot install lonely-app: 1 component did not come up, so the install was undone:');
    expect(error.message).toMatch(/lonely is unsatisfied-reference: Reference "\w+" \(1\.\.1 NobodyProvidesThis\) has no service/);
    expect(container.components().map((c) => c.name)).toEqual(['host-store']);
    expect(container.features.list().find((f) => f.name === 'lonely-app')?.installed).toBe(false);
  });

  test('a module that throws on import: nothing is installed', async () => {
    const { container } = await startDistribution();
    const error = await rejectionOf(container.install('unimportable'));
    expect(LatticeError.is(error, ErrorCode.FEATURE_INSTALL_FAILED)).toBe(true);
    expect(error.message).toMatch(/modules\/throws\.js could not be imported: cannot even load\. Nothing was installed\./);
    expect(container.components().map((c) => c.name)).toEqual(['host-store']);
  });

  test('unknown names and versions are refused with the known features', async () => {
    const { container } = await startDistribution();
    const error = await rejectionOf(container.install('onos-ap'));
    expect(error.code).toBe(ErrorCode.FEATURE_NOT_FOUND);
    expect(error.message).toBe('No feature "onos-ap". Known features: broken-app, broken-core-app, lonely-app, onos-api, onos-app-config, onos-core, unimportable.');
    expect((await rejectionOf(container.install('onos-api@^2'))).code).toBe(ErrorCode.FEATURE_NOT_FOUND);
  });

  test('uninstall is refused while another installed feature needs it; force takes the dependents too; features pulled in only for it go with it', async () => {
    const { container } = await startDistribution();
    await container.install('onos-app-config');
    const refused = await rejectionOf(container.uninstall('onos-core'));
    expect(refused.code).toBe(ErrorCode.FEATURE_REQUIRED);
    expect(refused.message).toBe(
      'Cannot uninstall onos-core: installed features need it (onos-app-config needs onos-core). Uninstall onos-app-config first, or force it to uninstall them too.',
    );
    expect(container.components().map((c) => c.state)).toEqual(['active', 'active', 'active', 'active']);

    log.length = 0;
    const report = await container.uninstall('onos-app-config');
    // onos-core came in only for the app; onos-api stays (it was installed at boot, by name).
    expect(report.uninstalled).toEqual(['onos-core@1.0.0', 'onos-app-config@1.0.0']);
    expect(container.components().map((c) => c.name)).toEqual(['host-store']);
    // Reverse dependency order: netcfg (top) before cluster before messaging.
    expect(log).toEqual(['deactivate netcfg disposed', 'deactivate cluster disposed', 'deactivate messaging disposed']);

    await container.install('onos-app-config');
    const forced = await container.uninstall('onos-core', { force: true });
    expect([...forced.uninstalled].sort()).toEqual(['onos-app-config@1.0.0', 'onos-core@1.0.0']);
    expect((await rejectionOf(container.uninstall('onos-core'))).code).toBe(ErrorCode.FEATURE_NOT_INSTALLED);
  });

  test('installed features are remembered under data/ and installed again at the next start', async () => {
    const first = await startDistribution();
    await first.container.install('onos-app-config');
    // What the user installed is remembered; boot features come from the features file at every start.
    expect(JSON.parse(await readFile(join(first.home, 'data', 'features.json'), 'utf8'))).toEqual({
      installed: [{ name: 'onos-app-config', version: '1.0.0' }],
    });
    await first.container.stop();
    running.splice(0);

    const second = await startDistribution(undefined, first.home);
    expect(second.container.features.list().filter((f) => f.installed).map((f) => `${f.name}:${f.installedAs ?? ''}`)).toEqual([
      'onos-api:requested',
      'onos-app-config:requested',
      'onos-core:dependency',
    ]);
    expect(second.container.components().every((c) => c.state === 'active')).toBe(true);
  });

  test('features.json is watched: an added feature becomes installable; a bad edit keeps the last good file; a removed installed feature is reported, not yanked', async () => {
    const { container, home, logRecorder } = await startDistribution();
    const reloads = new Recorder<string>();
    container.featuresFile?.onReload((outcome) => {
      reloads.push(outcome);
    });
    const features = JSON.parse(await readFile(join(home, 'features.json'), 'utf8')) as { features: object[]; boot: string[] };
    await writeFiles(home, { 'modules/extra.js': componentModule({ name: 'extra' }) });
    await writeFile(join(home, 'features.json'), JSON.stringify({ ...features, features: [...features.features, { name: 'extra', components: ['modules/extra.js'] }] }));
    await reloads.waitFor((items) => items.includes('applied'));
    await container.install('extra');
    expect(container.component('extra').state).toBe('active');

    await writeFile(join(home, 'features.json'), JSON.stringify({ features: [{ name: 'x', features: ['nope'] }] }));
    await reloads.waitFor((items) => items.includes('problem'));
    expect(logRecorder.items.some((e) => e.level === 50 && e.msg.includes('$.features[0].features[0]: x@0.0.0 needs "nope"'))).toBe(true);
    expect(container.features.list().map((f) => f.name)).toContain('onos-core');

    await writeFile(join(home, 'features.json'), JSON.stringify({ features: [features.features[0]] }));
    await reloads.waitFor((items) => items.filter((i) => i === 'applied').length === 2);
    expect(logRecorder.items.some((e) => e.msg.includes('feature extra@0.0.0 is installed but no longer defined'))).toBe(true);
    expect(container.component('extra').state).toBe('active');
    expect(container.features.list().find((f) => f.name === 'extra')?.installed).toBe(true);
    await container.uninstall('extra');
    expect(container.hasComponent('extra')).toBe(false);
  });

  test('a bad features.json at start stops the start with every problem listed', async () => {
    const home = await homes.make();
    await writeFiles(home, { 'features.json': { features: [{ name: 'a', features: ['b'] }, { name: 'c', components: ['nope.js'] }] } });
    const t = testContainer({ home, deploy: false });
    const error = await rejectionOf(t.container.start());
    expect(error.code).toBe(ErrorCode.FEATURES_INVALID);
    expect(error.message).toContain('features.json has 2 problems');
    expect(error.message).toContain('$.features[0].features[0]: a@0.0.0 needs "b"');
    expect(error.message).toContain('$.features[1].components[0]: module "nope.js" does not exist');
    expect(t.container.running).toBe(false);
  });
});
