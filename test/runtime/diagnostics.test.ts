import { describe, expect, test } from 'vitest';
import { Activate, Component, Container, ErrorCode, LatticeError, Reference, serviceToken } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { rejectionOf } from '../helpers/errors.js';
import { silentLogger } from '../helpers/logs.js';
import { deferred } from '../helpers/deferred.js';

const Host = serviceToken('test.diag.HostAdminService');
const Clock = serviceToken('test.diag.Clock');

describe('diagnostics: component(name) says why a component is not active', () => {
  test('no provider at all', async () => {
    @Component({ name: 'reader' })
    class Reader {
      @Reference({ service: Host }) host!: unknown;
    }
    const { container } = testContainer();
    container.register(Reader);
    await container.start();
    const info = container.component('reader');
    expect(info.state).toBe('unsatisfied-reference');
    expect(info.why).toEqual([
      'Reference "host" (1..1 test.diag.HostAdminService) has no service: nothing provides test.diag.HostAdminService. Register a component that provides test.diag.HostAdminService.',
    ]);
    expect(info.references[0]).toMatchObject({ name: 'host', service: 'test.diag.HostAdminService', cardinality: '1..1', policy: 'static', policyOption: 'reluctant', satisfied: false, bound: [], candidates: [] });
    await container.stop();
  });

  test('providers exist but the target filter turns them away', async () => {
    @Component({ name: 'picky' })
    class Picky {
      @Reference({ service: Host, target: '(&(role=primary)(zone=eu))' }) host!: unknown;
    }
    const { container } = testContainer();
    container.register(Picky);
    const replica = container.registerService(Host, {}, { role: 'replica', zone: 'eu' });
    await container.start();
    expect(container.component('picky').why[0]).toBe(
      `Reference "host" (1..1 test.diag.HostAdminService, target (&(role=primary)(zone=eu))) has no service: 1 test.diag.HostAdminService service(s) exist but none matches the target (service ${replica.id} has role="replica", zone="eu"). Change the target or the providers' properties.`,
    );
    await container.stop();
  });

  test('the provider is a component that is not active, followed to the root cause', async () => {
    @Component({ name: 'host-store', service: Host })
    class HostStore {
      @Reference({ service: Clock }) clock!: unknown;
    }
    @Component({ name: 'netcfg' })
    class NetCfg {
      @Reference({ service: Host }) host!: unknown;
    }
    const { container } = testContainer();
    container.register(HostStore, NetCfg);
    await container.start();
    expect(container.component('netcfg').why[0]).toBe(
      'Reference "host" (1..1 test.diag.HostAdminService) has no service: host-store is unsatisfied-reference ("clock" needs test.diag.Clock, which nothing provides).',
    );
    await container.stop();
  });

  test('a provider that failed, a cycle, a failure, a delayed component and one still activating', async () => {
    const gate = deferred();
    @Component({ name: 'clock', service: Clock, immediate: true })
    class BrokenClock {
      @Activate activate(): void {
        throw new Error('no time source');
      }
    }
    @Component({ name: 'timed' })
    class Timed {
      @Reference({ service: Clock }) clock!: unknown;
    }
    @Component({ name: 'lazy', service: Host })
    class Lazy {}
    @Component({ name: 'slow' })
    class Slow {
      @Activate async activate(): Promise<void> {
        await gate.promise;
      }
    }
    const { container } = testContainer();
    container.register(BrokenClock, Timed, Lazy, Slow);
    const starting = container.start();
    await container.whenState('slow', 'activating');
    expect(container.component('slow').why).toEqual(['Activating (in its constructor, bind methods or activate()).']);
    gate.resolve();
    await starting;
    expect(container.component('timed').why[0]).toContain('clock is failed-activation (no time source)');
    expect(container.component('clock').why).toEqual([
      'Activation failed (ACTIVATION_FAILED): no time source.',
      'Fix the cause, then enable or restart the component to try again.',
    ]);
    expect(container.component('lazy').why[0]).toContain('delayed component');
    expect(container.component('slow').why).toEqual([]);
    await container.stop();
  });

  test('info is plain data: JSON round-trips it unchanged', async () => {
    @Component({ name: 'plain', properties: { answer: 42 } })
    class Plain {}
    const { container } = testContainer();
    container.register(Plain);
    await container.start();
    const info = container.component('plain');
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    expect(info).toMatchObject({ name: 'plain', implementation: 'Plain', state: 'active', immediate: true, services: [], configurationPid: 'plain', configurationPolicy: 'optional', useCount: 0, why: [] });
    expect(typeof info.activatedAt).toBe('string');
    expect(info.activationMs).toBeGreaterThanOrEqual(0);
    await container.stop();
  });

  test('whenActive gives up after its timeout with WAIT_TIMEOUT, saying why the component is not active', async () => {
    @Component({ name: 'waiting' })
    class Waiting {
      @Reference({ service: Clock }) clock!: unknown;
    }
    // Container.create is new Container, for those who prefer a factory.
    const container = Container.create({ logger: silentLogger() });
    container.register(Waiting);
    await container.start();
    const error = await rejectionOf(container.whenActive('waiting', 50));
    expect(LatticeError.is(error, ErrorCode.WAIT_TIMEOUT)).toBe(true);
    expect(error.message).toBe(
      'Component waiting did not become active within 50 ms: Reference "clock" (1..1 test.diag.Clock) has no service: nothing provides test.diag.Clock. Register a component that provides test.diag.Clock.',
    );
    await container.stop();
  });
});
