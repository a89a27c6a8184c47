import { writeFile } from 'node:fs/promises';
import { Counter, type Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, MetricsService, Reference, serviceToken } from '@lattice-scr/lattice';
import { configHomes } from '../helpers/configHomes.js';
import { testContainer } from '../helpers/container.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = configHomes();
const tempHome = tempHomes();
afterEach(async () => {
  await homes.cleanup();
  await tempHome.cleanup();
});

const Db = serviceToken<object>('test.metrics.Db');

/** The value of one sample line of Prometheus text (`name{labels} value`), or undefined. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('metrics', () => {
  test('components by state, activations, reconciles, config reloads and refused writes, process metrics; components add their own through MetricsService', async () => {
    @Component({ name: 'db', service: Db, immediate: true })
    class Database {}
    @Component({ name: 'app', configurationPolicy: 'optional' })
    class App {
      @Reference({ service: Db }) db!: object;
    }
    @Component({ name: 'missing' })
    class Missing {
      @Reference({ service: serviceToken('test.metrics.Nothing') }) nothing!: unknown;
    }
    @Component({ name: 'counting' })
    class Counting {
      @Reference({ service: MetricsService }) registry!: Registry;
      @Activate activate(): void {
        new Counter({ name: 'app_jobs_total', help: 'Jobs done.', registers: [this.registry] }).inc(3);
      }
      @Deactivate deactivate(): void {
        this.registry.removeSingleMetric('app_jobs_total');
      }
    }
    const { container, file, reloads } = await homes.start([]);
    const metrics = await container.enableMetrics();
    expect(await container.enableMetrics()).toBe(metrics);
    container.register(Database, App, Missing, Counting);
    await container.whenActive('counting');
    await writeFile(file('app'), '{ "level": 2 }');
    await reloads.next((r) => r.pid === 'app' && r.outcome === 'applied');
    @Component({ name: 'strict', configSchema: { '~standard': { version: 1, vendor: 'test', validate: (v: unknown) => ((v as { n?: unknown }).n === 1 ? { value: v } : { issues: [{ message: 'n must be 1', path: ['n'] }] }) } } })
    class Strict {}
    container.register(Strict);
    await expect(container.config.update('strict', { n: 2 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await container.settled();

    const text = await metrics.text();
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(sample(text, 'lattice_components{state="active"}')).toBe(3);
    expect(sample(text, 'lattice_components{state="unsatisfied-configuration"}')).toBe(1);
    expect(sample(text, 'lattice_components{state="unsatisfied-reference"}')).toBe(1);
    expect(sample(text, 'lattice_components{state="failed-activation"}')).toBe(0);
    // db, counting, and app twice (its configuration came, and it has no @Modified).
    expect(sample(text, 'lattice_component_activation_seconds_count')).toBe(4);
    expect(sample(text, 'lattice_reconciles_total')).toBeGreaterThan(4);
    expect(sample(text, 'lattice_config_reloads_total{outcome="applied"}')).toBe(1);
    expect(sample(text, 'lattice_config_writes_refused_total')).toBe(1);
    expect(sample(text, 'lattice_feature_installs_total')).toBe(0);
    expect(sample(text, 'app_jobs_total')).toBe(3);
    // Restarted, it registers its metric again (its deactivate took it out).
    await container.restart('counting');
    expect(container.component('counting').state).toBe('active');
    expect(sample(await metrics.text(), 'app_jobs_total')).toBe(3);
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
  });

  test('feature counters: one per install or uninstall operation; a refused install is a failure; dry runs do not count', async () => {
    const home = await tempHome.make();
    await writeFiles(home, {
      'features.json': { features: [{ name: 'a', version: '1.0.0', components: ['a.js'] }, { name: 'b', version: '1.0.0', components: ['b.js'] }] },
      'a.js': "import { Component } from '@lattice-scr/lattice';\nexport class A {}\nComponent({ name: 'a' })(A);\n",
      'b.js': "import { Component } from '@lattice-scr/lattice';\nexport class B {}\nComponent({ name: 'b' })(B);\n",
    });
    const { container } = testContainer({ home });
    const metrics = await container.enableMetrics();
    await container.start();
    await container.install(['a', 'b']);
    await container.install('a', { dryRun: true });
    await expect(container.install('nowhere')).rejects.toMatchObject({ code: 'FEATURE_NOT_FOUND' });
    await container.uninstall(['a', 'b']);
    const text = await metrics.text();
    expect(sample(text, 'lattice_feature_installs_total')).toBe(1);
    expect(sample(text, 'lattice_feature_install_failures_total')).toBe(1);
    expect(sample(text, 'lattice_feature_uninstalls_total')).toBe(1);
    await container.stop();
  });
});
