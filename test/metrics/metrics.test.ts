import { writeFile } from 'node:fs/promises';
import { Counter, type Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { Activate, Component, MetricsService, Reference, serviceToken } from '@lattice-scr/lattice';
import { configHomes } from '../helpers/configHomes.js';

const homes = configHomes();
afterEach(async () => {
  await homes.cleanup();
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
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
  });
});
