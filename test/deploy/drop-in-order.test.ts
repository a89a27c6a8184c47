import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { DeployEvent } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { componentModule } from '../helpers/distribution.js';
import { Recorder } from '../helpers/recorder.js';
import { moduleTests } from '../helpers/moduleTests.js';

const { homes, running, log } = moduleTests();

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A running container with a home, and what its deploy folder did. */
async function started() {
  const home = await homes.make();
  const t = testContainer({ home, deploy: { settleMs: 50 } });
  running.push(t.container);
  const deploys = new Recorder<DeployEvent>();
  t.container.deployFolder?.onDeploy((event) => {
    deploys.push(event);
  });
  await t.container.start();
  return { ...t, home, deploys };
}

/** A module folder and the features file that names it, dropped into a running container's deploy/. */
async function dropIn(order: 'folder first' | 'features first', delayMs: number) {
  const t = await started();
  const { home, deploys } = t;
  const deployDir = join(home, 'deploy');
  // Each written beside deploy/ and moved in, as a copy tool that writes whole files does.
  const folder = async (): Promise<void> => {
    await mkdir(join(home, 'staging', 'ext'), { recursive: true });
    await writeFile(join(home, 'staging', 'ext', 'index.js'), componentModule({ name: 'ext', provides: 'Ext' }));
    await rename(join(home, 'staging', 'ext'), join(deployDir, 'ext'));
  };
  const features = async (): Promise<void> => {
    await writeFile(join(home, 'ext.features.json'), JSON.stringify({ features: [{ name: 'ext', install: 'auto', components: ['ext/index.js'] }] }));
    await rename(join(home, 'ext.features.json'), join(deployDir, 'ext.features.json'));
  };
  const [first, second] = order === 'folder first' ? [folder, features] : [features, folder];
  await first();
  await pause(delayMs);
  await second();
  await deploys.next((e) => e.entry === 'ext.features.json' && e.action === 'features-added', 20_000);
  await t.container.settled();
  return t;
}

describe('a module folder and its features file dropped into deploy/, in either order, end installed exactly once', () => {
  for (const order of ['folder first', 'features first'] as const) {
    for (const delayMs of [0, 300, 1500]) {
      test(`${order}, ${delayMs} ms apart`, async () => {
        const { container, logs, deploys } = await dropIn(order, delayMs);
        expect(container.features.list().filter((f) => f.installed).map((f) => f.name)).toEqual(['ext']);
        expect(container.component('ext')).toMatchObject({ state: 'active', module: 'deploy/ext/index.js' });
        expect(container.features.info('ext').components.map((c) => c.name)).toEqual(['ext']);
        // Never a name clash, never an error; the folder ends as the feature's.
        expect(logs.filter((e) => e.level >= 50)).toEqual([]);
        expect(deploys.items.filter((e) => e.action === 'failed')).toEqual([]);
        expect(log.filter((line) => line === 'activate ext').length).toBeGreaterThanOrEqual(1);
        expect(log.at(-1)).toBe('activate ext');
        if (order === 'features first' && delayMs > 0) {
          // It waited for its module, and said so, rather than failing.
          expect(logs.some((e) => e.msg === 'deploy/ext.features.json waits for deploy/ext/index.js, not in deploy/ yet: its features are added once it is')).toBe(true);
          expect(log).toEqual(['activate ext']);
        }
      });
    }
  }

  test('status names a features file that waits for its module', async () => {
    const t = await started();
    const { home, deploys } = t;
    await writeFile(join(home, 'deploy', 'lonely.features.json'), JSON.stringify({ features: [{ name: 'lonely', components: ['lonely/index.js', 'other.js'] }] }));
    await deploys.next((e) => e.entry === 'lonely.features.json' && e.action === 'waiting');
    expect(t.container.deployFolder?.waitingFeatures()).toEqual([{ entry: 'deploy/lonely.features.json', modules: ['deploy/lonely/index.js', 'deploy/other.js'] }]);
  });

  test('started again, a container reads the features files in deploy/ before it installs the remembered features', async () => {
    const t = await started();
    const { home } = t;
    await t.container.stop();
    // While it is stopped: a features file and its module dropped in, and its feature remembered (as by a
    // container that installed it there before).
    await mkdir(join(home, 'deploy', 'ext'), { recursive: true });
    await writeFile(join(home, 'deploy', 'ext', 'index.js'), componentModule({ name: 'ext', provides: 'Ext' }));
    await writeFile(join(home, 'deploy', 'ext.features.json'), JSON.stringify({ features: [{ name: 'ext', version: '1.0.0', components: ['ext/index.js'] }] }));
    await mkdir(join(home, 'data'), { recursive: true });
    await writeFile(join(home, 'data', 'features.json'), JSON.stringify({ installed: [{ name: 'ext', version: '1.0.0' }] }));
    await t.container.start();
    expect(t.container.component('ext').state).toBe('active');
    expect(t.container.features.failedAtStart()).toEqual([]);
  });
});
