import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { DeployEvent } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { componentModule, writeFiles } from '../helpers/distribution.js';
import { Recorder } from '../helpers/recorder.js';
import { moduleTests } from '../helpers/moduleTests.js';

const { homes, running, log } = moduleTests();

async function startWithDeploy(files: Record<string, string | object> = {}, options: { settleMs?: number } = {}) {
  const home = await homes.make();
  await writeFiles(home, files);
  const t = testContainer({ home, ...(options.settleMs !== undefined && { deploy: { settleMs: options.settleMs } }) });
  running.push(t.container);
  const deploys = new Recorder<DeployEvent>();
  t.container.deployFolder?.onDeploy((event) => {
    deploys.push(event);
  });
  await t.container.start();
  return { ...t, home, deploys, deployDir: join(home, 'deploy') };
}

describe('the deploy folder', () => {
  test('modules already there are deployed at start', async () => {
    const { container } = await startWithDeploy({ 'deploy/early.js': componentModule({ name: 'early' }) });
    expect(container.component('early').state).toBe('active');
  });

  test('a module dropped in is deployed; changed, redeployed with its new code; deleted, its components go', async () => {
    const { container, deploys, deployDir } = await startWithDeploy();
    await writeFile(join(deployDir, 'greeter.mjs'), componentModule({ name: 'greeter', provides: 'Greeter', properties: { edition: 1 } }));
    await deploys.next((e) => e.entry === 'greeter.mjs' && e.action === 'deployed');
    expect(container.component('greeter')).toMatchObject({ state: 'active', properties: { edition: 1 }, module: 'deploy/greeter.mjs' });

    await writeFile(join(deployDir, 'greeter.mjs'), componentModule({ name: 'greeter', provides: 'Greeter', properties: { edition: 2 } }));
    await deploys.next((e) => e.entry === 'greeter.mjs' && e.action === 'redeployed');
    expect(container.component('greeter')).toMatchObject({ state: 'active', properties: { edition: 2 } });
    expect(log).toEqual(['activate greeter', 'deactivate greeter disposed', 'activate greeter']);

    await rm(join(deployDir, 'greeter.mjs'));
    await deploys.next((e) => e.action === 'undeployed');
    expect(container.hasComponent('greeter')).toBe(false);
  });

  test('a redeployed module whose component was renamed: the old component is gone before the new one activates', async () => {
    const { container, deploys, deployDir } = await startWithDeploy({ 'deploy/m.js': componentModule({ name: 'alpha', provides: 'Port' }) });
    expect(container.component('alpha').state).toBe('active');
    await writeFile(join(deployDir, 'm.js'), componentModule({ name: 'beta', provides: 'Port' }));
    await deploys.next((e) => e.entry === 'm.js' && e.action === 'redeployed');
    // What the old held (a port, say) is let go before the new takes it.
    expect(log).toEqual(['activate alpha', 'deactivate alpha disposed', 'activate beta']);
    expect(container.hasComponent('alpha')).toBe(false);
  });

  test('a module whose component was unregistered by hand is still redeployed when it changes', async () => {
    const { container, deploys, deployDir } = await startWithDeploy();
    const pair = (edition: number) => `import { Component } from '@lattice-scr/lattice';
export class Kept {}
Component({ name: 'kept', properties: { edition: ${edition} } })(Kept);
export class Dropped {}
Component({ name: 'dropped' })(Dropped);
`;
    await writeFile(join(deployDir, 'pair.mjs'), pair(1));
    await deploys.next((e) => e.entry === 'pair.mjs' && e.action === 'deployed');
    await container.unregister('dropped');
    await writeFile(join(deployDir, 'pair.mjs'), pair(2));
    await deploys.next((e) => e.entry === 'pair.mjs' && e.action === 'redeployed');
    expect(container.component('kept').properties.edition).toBe(2);
    expect(container.component('dropped').state).toBe('active');
  });

  test('a folder with index.js is a module', async () => {
    const { container, deploys, deployDir } = await startWithDeploy();
    await writeFiles(deployDir, { 'store/index.js': componentModule({ name: 'store' }) });
    await deploys.next((e) => e.entry === 'store' && e.action === 'deployed');
    expect(container.component('store').state).toBe('active');
    await rm(join(deployDir, 'store'), { recursive: true });
    await deploys.next((e) => e.entry === 'store' && e.action === 'undeployed');
    expect(container.hasComponent('store')).toBe(false);
  });

  test('a module that throws on import is reported and changes nothing: the version before stays deployed', async () => {
    const { container, deploys, deployDir, errors } = await startWithDeploy({ 'deploy/svc.js': componentModule({ name: 'svc', properties: { good: true } }) });
    await writeFile(join(deployDir, 'svc.js'), "throw new Error('oops at load time');\n");
    const failed = await deploys.next((e) => e.action === 'failed');
    expect(failed.error).toMatch(/svc\.js could not be imported: oops at load time/);
    expect(errors().some((e) => e.msg.includes('oops at load time'))).toBe(true);
    expect(container.component('svc')).toMatchObject({ state: 'active', properties: { good: true } });
    expect(log).toEqual(['activate svc']);
  });

  test('a module whose component name is taken is refused and changes nothing', async () => {
    const { container, deploys, deployDir } = await startWithDeploy({ 'deploy/first.js': componentModule({ name: 'taken' }) });
    await writeFile(join(deployDir, 'second.js'), componentModule({ name: 'taken' }));
    const failed = await deploys.next((e) => e.entry === 'second.js' && e.action === 'failed');
    expect(failed.error).toContain('component name is already registered: taken (by deploy/first.js); nothing changed. Rename the component here or there.');
    expect(failed.code).toBe('COMPONENT_NAME_DUPLICATE');
    expect(container.deployFolder?.deployed()).toEqual({ 'first.js': ['taken'] });
  });

  // The writer pauses 300 ms mid-file, well within the 1 s settle time: a watcher that did not wait for
  // writes to settle would import the first half (a syntax error) long before the second comes.
  test.each([
    ['a file', 'streamed.js', 'streamed.js'],
    ['a folder module', 'streamed', 'streamed/index.js'],
  ])('%s written in two parts with a pause is not imported half-written: it is deployed once, whole', async (_kind, entry, path) => {
    const { container, deploys, deployDir, errors } = await startWithDeploy({}, { settleMs: 1000 });
    const source = componentModule({ name: 'streamed', properties: { size: 'x'.repeat(2000) } });
    await mkdir(dirname(join(deployDir, path)), { recursive: true });
    const handle = await open(join(deployDir, path), 'w');
    await handle.write(source.slice(0, 200));
    await handle.sync();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await handle.write(source.slice(200));
    await handle.close();
    await deploys.next((e) => e.entry === entry && e.action === 'deployed', 15_000);
    await container.settled();
    expect(deploys.items.filter((e) => e.entry === entry).map((e) => e.action)).toEqual(['deployed']);
    expect(errors()).toEqual([]);
    expect(container.component('streamed').state).toBe('active');
  });

  test('a *.features.json dropped in adds its features and installs the "auto" ones; removing it uninstalls them', async () => {
    const { container, deploys, deployDir } = await startWithDeploy();
    await writeFiles(deployDir, {
      'lib-extra/provider.js': componentModule({ name: 'extra-provider', provides: 'Extra' }),
      'lib-extra/user.js': componentModule({ name: 'extra-user', needs: ['Extra'] }),
    });
    await writeFile(
      join(deployDir, 'extra.features.json'),
      JSON.stringify({
        features: [
          { name: 'extra-api', version: '1.0.0', components: ['lib-extra/provider.js'] },
          { name: 'extra-app', version: '1.0.0', features: ['extra-api'], components: ['lib-extra/user.js'], install: 'auto' },
          { name: 'extra-optional', version: '1.0.0' },
        ],
      }),
    );
    const added = await deploys.next((e) => e.action === 'features-added');
    expect(added.features).toEqual(['extra-api@1.0.0', 'extra-app@1.0.0', 'extra-optional@1.0.0']);
    expect(container.component('extra-user').state).toBe('active');
    expect(container.features.list().filter((f) => f.installed).map((f) => f.name)).toEqual(['extra-api', 'extra-app']);

    await rm(join(deployDir, 'extra.features.json'));
    await deploys.next((e) => e.action === 'features-removed');
    expect(container.components()).toEqual([]);
    expect(container.features.list()).toEqual([]);
  });

  test('a features file in deploy/ with problems is reported, with every problem', async () => {
    const { deploys, deployDir } = await startWithDeploy();
    await writeFile(join(deployDir, 'bad.features.json'), JSON.stringify({ features: [{ name: 'x', components: ['../../etc/passwd'] }, { name: 'y', features: ['z'] }] }));
    const failed = await deploys.next((e) => e.action === 'failed');
    expect(failed.error).toContain('deploy/bad.features.json $.features[0].components[0]: "../../etc/passwd" is outside the distribution folder');
    expect(failed.error).toContain('$.features[1].features[0]: y@0.0.0 needs "z"');
  });
});
