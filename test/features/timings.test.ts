import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, test } from 'vitest';
import { testContainer } from '../helpers/container.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
afterEach(async () => {
  await homes.cleanup();
});

/** A home whose boot feature `api` has a store, and feature `app` an immediate app that needs it. */
async function apiAndApp(): Promise<string> {
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
  return home;
}

describe('install timings (lattice status --timing)', () => {
  test('each install: its features, why, how long, each module import, each component with its activation time and what it bound', async () => {
    const home = await apiAndApp();
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
    expect(app?.components).toEqual([{ name: 'app', state: 'active', activationMs: expect.any(Number) as number, activatedAt: expect.any(String) as string, after: ['store'] }]);
    expect(Date.parse(app?.modules[0]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(app?.startedAt ?? ''));
    expect(app?.ms).toBeGreaterThanOrEqual(app?.modules[0]?.ms ?? 0);
    expect(Date.parse(app?.startedAt ?? '')).not.toBeNaN();
    await container.stop();
  });

  test('with OpenTelemetry: each install is a trace, the install with each module import and component activation under it, in its time', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const { container } = testContainer({ home: await apiAndApp() });
    expect(await container.enableTracing(provider.getTracer('test'))).toBe(true);
    // Again: the same (no second span per install).
    expect(await container.enableTracing(provider.getTracer('test'))).toBe(true);
    await container.start();
    await container.install('app');

    const spans = exporter.getFinishedSpans();
    const installs = spans.filter((s) => s.name === 'lattice feature install');
    expect(installs.map((s) => [s.attributes['lattice.features'], s.attributes['lattice.install.reason']])).toEqual([
      [['api@1.0.0'], 'boot'],
      [['app@2.0.0'], 'user'],
    ]);
    const appInstall = installs[1]!;
    const children = spans.filter((s) => s.parentSpanContext?.spanId === appInstall.spanContext().spanId);
    expect(children.map((s) => s.name).sort()).toEqual(['lattice component activate', 'lattice module import']);
    const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;
    for (const child of children) {
      expect(child.spanContext().traceId).toBe(appInstall.spanContext().traceId);
      // Inside the install's time (to the millisecond: the timings are kept in ms).
      expect(ms(child.startTime)).toBeGreaterThanOrEqual(ms(appInstall.startTime) - 1);
      expect(ms(child.endTime)).toBeLessThanOrEqual(ms(appInstall.endTime) + 1);
    }
    expect(children.find((s) => s.name === 'lattice module import')?.attributes['lattice.module']).toMatch(/app\.js$/);
    expect(children.find((s) => s.name === 'lattice component activate')?.attributes).toEqual({ 'lattice.component': 'app', 'lattice.component.after': ['store'] });
    await container.stop();
  });
});
