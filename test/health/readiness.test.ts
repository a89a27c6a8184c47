import { afterEach, describe, expect, test } from 'vitest';
import { Activate, Component, HEALTH_NAME, HealthCheckService, Reference, serviceToken, type HealthCheck, type HealthResult } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { deferred } from '../helpers/deferred.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
afterEach(async () => {
  await homes.cleanup();
});

const Db = serviceToken<{ query(): number }>('test.health.Db');

/** A health check component answering whatever `answer` holds, under `name`. */
function checkComponent(name: string, answer: { now: () => HealthResult | Promise<HealthResult> }) {
  @Component({ name, service: HealthCheckService, properties: { [HEALTH_NAME]: `${name}-check` } })
  class Check implements HealthCheck {
    check(): HealthResult | Promise<HealthResult> {
      return answer.now();
    }
  }
  return Check;
}

describe('readiness: started, counted components active or satisfied, health checks up', () => {
  test('ready when every component is active or satisfied and every check is up; a check down, throwing or answering nonsense is not', async () => {
    const answer: { now: () => HealthResult | Promise<HealthResult> } = { now: () => ({ status: 'up' }) };
    @Component({ name: 'db', service: Db })
    class Database {
      query(): number {
        return 1;
      }
    }
    const { container } = testContainer();
    container.register(Database, checkComponent('disk', answer));
    expect(await container.readiness()).toMatchObject({ ready: false, phase: 'stopped' });
    await container.start();
    const ready = await container.readiness();
    expect(ready).toMatchObject({ ready: true, phase: 'running', components: { counted: 2, notReady: [] }, checks: [{ name: 'disk-check', component: 'disk', status: 'up' }] });
    // The check's delayed component was used for the check and let go after it.
    expect(container.component('disk').useCount).toBe(0);

    answer.now = () => ({ status: 'down', detail: 'disk 95% full' });
    expect(await container.readiness()).toMatchObject({ ready: false, checks: [{ name: 'disk-check', status: 'down', detail: 'disk 95% full' }] });
    answer.now = () => {
      throw new Error('no disk');
    };
    expect((await container.readiness()).checks[0]).toMatchObject({ status: 'down', detail: 'check() failed: no disk' });
    answer.now = () => ({ state: 'fine' }) as unknown as HealthResult;
    expect((await container.readiness()).checks[0]).toMatchObject({ status: 'down', detail: 'check() answered {"state":"fine"}, not { status: "up" | "down" }' });
    await container.stop();
  });

  test('a check component that provides no check now (failed, unsatisfied) is a check that is down', async () => {
    @Component({ name: 'db-check', service: HealthCheckService })
    class DbCheck implements HealthCheck {
      @Activate activate(): void {
        throw new Error('cannot reach the database');
      }
      check(): HealthResult {
        return { status: 'up' };
      }
    }
    @Component({ name: 'core' })
    class Core {}
    const { container } = testContainer({ readyComponents: ['core'] });
    container.register(DbCheck, Core);
    await container.start();
    for (let ask = 0; ask < 3; ask++) {
      const report = await container.readiness();
      expect(report.ready).toBe(false);
      expect(report.checks).toHaveLength(1);
      expect(report.checks[0]).toMatchObject({ name: 'db-check', status: 'down' });
      expect(report.checks[0]?.detail).toMatch(/cannot reach the database/);
    }
    await container.disable('db-check');
    expect((await container.readiness()).ready).toBe(true);
    await container.stop();
  });

  test('a feature that was to be installed at start and was not keeps it from being ready', async () => {
    const home = await homes.make();
    await writeFiles(home, {
      'features.json': { features: [{ name: 'broken', version: '1.0.0', components: ['broken.js'] }], boot: ['broken'] },
      'broken.js': "throw new Error('broken at import');\n",
    });
    const { container } = testContainer({ home });
    await container.start();
    const report = await container.readiness();
    expect(report.ready).toBe(false);
    expect(report.featuresNotInstalled).toEqual([{ name: 'broken', error: expect.stringContaining('broken at import') as string }]);
    await container.stop();
  });

  test('a check that does not answer within the timeout is down', async () => {
    const never = deferred<HealthResult>();
    const { container } = testContainer({ healthCheckTimeoutMs: 50 });
    container.register(checkComponent('hung', { now: () => never.promise }));
    await container.start();
    expect(await container.readiness()).toMatchObject({ ready: false, checks: [{ name: 'hung-check', status: 'down', detail: 'check() failed: no answer within 50 ms' }] });
    never.resolve({ status: 'up' });
    await container.stop();
  });

  test('a component that is not active or satisfied keeps it from being ready, saying why; one disabled from the start does not count', async () => {
    @Component({ name: 'app' })
    class App {
      @Reference({ service: Db }) db!: unknown;
    }
    @Component({ name: 'spare', enabled: false })
    class Spare {}
    const { container } = testContainer();
    container.register(App, Spare);
    await container.start();
    const report = await container.readiness();
    expect(report.ready).toBe(false);
    expect(report.components).toEqual({
      counted: 1,
      notReady: [{ name: 'app', state: 'unsatisfied-reference', why: 'Reference "db" (1..1 test.health.Db) has no service: nothing provides test.health.Db. Register a component that provides test.health.Db.' }],
    });
    container.registerService(Db, { query: () => 1 });
    await container.settled();
    expect((await container.readiness()).ready).toBe(true);
    await container.stop();
  });

  test('readyComponents chooses what counts; a name not registered is not ready', async () => {
    @Component({ name: 'broken' })
    class Broken {
      @Activate activate(): void {
        throw new Error('no');
      }
    }
    const { container } = testContainer({ readyComponents: ['core'] });
    container.register(Broken);
    await container.start();
    expect((await container.readiness()).components.notReady).toEqual([{ name: 'core', state: 'not registered', why: 'core is not registered (is its feature installed?).' }]);
    @Component({ name: 'core' })
    class Core {}
    container.register(Core);
    await container.whenActive('core');
    expect(await container.readiness()).toMatchObject({ ready: true, components: { counted: 1, notReady: [] } });
    await container.stop();
  });

  test('while it starts, it is not ready', async () => {
    const gate = deferred();
    @Component({ name: 'slow' })
    class Slow {
      @Activate activate(): Promise<void> {
        return gate.promise;
      }
    }
    const { container } = testContainer();
    container.register(Slow);
    const starting = container.start();
    expect(await container.readiness()).toMatchObject({ ready: false, phase: 'starting' });
    gate.resolve();
    await starting;
    expect(await container.readiness()).toMatchObject({ ready: true, phase: 'running' });
    await container.stop();
  });
});

describe('the probes without a token', () => {
  test('live: up until the container stops; ready: starting until the boot is done, then ready or not-ready', async () => {
    const { ControlApi } = await import('../../src/shell/control/ControlApi.js');
    const { container } = testContainer();
    const api = new ControlApi(container, { home: '/nowhere', version: '0.0.0', onStop: () => undefined });
    await container.start();
    // `lattice start` marks the API started once its boot features are installed.
    const counts = { features: { notInstalled: 0 }, components: { counted: 0, notReady: 0 }, checks: { up: 0, down: 0 } };
    expect(await api.probe('ready')).toEqual({ status: 503, body: { status: 'starting', ...counts } });
    api.started();
    expect(await api.probe('ready')).toEqual({ status: 200, body: { status: 'ready', ...counts } });
    expect(await api.probe('live')).toEqual({ status: 200, body: { status: 'up' } });
    api.stopping();
    expect(await api.probe('live')).toEqual({ status: 503, body: { status: 'stopping' } });
    expect((await api.probe('ready')).body).toMatchObject({ status: 'stopping' });
    await container.stop();
  });
});
