import { afterEach, describe, expect, test } from 'vitest';
import { testContainer } from '../helpers/container.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
afterEach(async () => {
  await homes.cleanup();
});

describe('install timings (lattice status --timing)', () => {
  test('each install: its features, why, how long, each module import, each component with its activation time and what it bound', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': {
        features: [
          { name: 'api', version: '1.0.0', components: ['api.js'] },
          { name: 'app', version: '2.0.0', features: ['api'], components: ['app.js'] },
        ],
        boot: ['api'],
      },
      'api.js': "import { Component, serviceToken } from '@lattice-scr/lattice';\nexport class Store {}\nComponent({ name: 'store', service: serviceToken('test.timing.Store'), immediate: true })(Store);\n",
      'app.js':
        "import { Component, Reference, serviceToken } from '@lattice-scr/lattice';\nexport class App {}\nReference({ service: serviceToken('test.timing.Store') })(App.prototype, 'store');\nComponent({ name: 'app' })(App);\n",
    });
    const { container } = testContainer({ home });
    await container.start();
    await container.install('app');
    await container.install('app', { dryRun: true });
    const timings = container.features.timings();
    expect(timings.map((t) => [t.features, t.reason])).toEqual([
      [['api@1.0.0'], 'boot'],
      [['app@2.0.0'], 'user'],
    ]);
    const [boot, app] = timings;
    expect(boot?.modules.map((m) => m.file.endsWith('api.js'))).toEqual([true]);
    expect(boot?.modules[0]?.ms).toBeGreaterThan(0);
    expect(app?.components).toEqual([{ name: 'app', state: 'active', activationMs: expect.any(Number) as number, after: ['store'] }]);
    expect(app?.ms).toBeGreaterThanOrEqual(app?.modules[0]?.ms ?? 0);
    expect(Date.parse(app?.startedAt ?? '')).not.toBeNaN();
    await container.stop();
  });
});
