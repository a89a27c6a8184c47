import { describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, Reference, serviceToken, type DeactivationContext } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

const Bottom = serviceToken('test.cascade.Bottom');
const Middle = serviceToken('test.cascade.Middle');

function chain(log: string[]) {
  const lifecycle = (name: string) => ({
    activate: () => log.push(`+${name}`),
    deactivate: (context: DeactivationContext) => log.push(`-${name} (${context.reason})`),
  });
  const mid = lifecycle('middle');
  const top = lifecycle('top');
  @Component({ name: 'middle', service: Middle, immediate: true })
  class MiddleComp {
    @Reference({ service: Bottom }) bottom!: unknown;
    @Activate activate(): void {
      mid.activate();
    }
    @Deactivate deactivate(c: DeactivationContext): void {
      mid.deactivate(c);
    }
  }
  @Component({ name: 'top' })
  class TopComp {
    @Reference({ service: Middle }) middle!: unknown;
    @Activate activate(): void {
      top.activate();
    }
    @Deactivate deactivate(c: DeactivationContext): void {
      top.deactivate(c);
    }
  }
  return [MiddleComp, TopComp] as const;
}

describe('cascades', () => {
  test('removing the provider at the bottom of a 3-level chain deactivates top-down; its return reactivates bottom-up', async () => {
    const log: string[] = [];
    const { container } = testContainer();
    container.register(...chain(log));
    const bottom = container.registerService(Bottom, { level: 0 });
    await container.start();
    expect(log).toEqual(['+middle', '+top']);

    await bottom.unregister();
    expect(log.slice(2)).toEqual(['-top (reference-unsatisfied)', '-middle (reference-unsatisfied)']);
    expect(container.components().map((c) => c.state)).toEqual(['unsatisfied-reference', 'unsatisfied-reference']);

    container.registerService(Bottom, { level: 0 });
    await container.whenActive('top');
    expect(log.slice(4)).toEqual(['+middle', '+top']);
    await container.stop();
  });

  test('disable and enable: dependents follow', async () => {
    const log: string[] = [];
    @Component({ name: 'bottom', service: Bottom, immediate: true })
    class BottomComp {
      @Activate activate(): void {
        log.push('+bottom');
      }
      @Deactivate deactivate(c: DeactivationContext): void {
        log.push(`-bottom (${c.reason})`);
      }
    }
    const { container } = testContainer();
    container.register(BottomComp, ...chain(log));
    await container.start();
    expect(log).toEqual(['+bottom', '+middle', '+top']);

    const info = await container.disable('bottom');
    expect(info.state).toBe('disabled');
    expect(info.enabled).toBe(false);
    expect(log.slice(3)).toEqual(['-top (reference-unsatisfied)', '-middle (reference-unsatisfied)', '-bottom (disabled)']);
    expect(container.component('top').why.join(' ')).toContain('bottom is disabled');

    await container.enable('bottom');
    expect(log.slice(6)).toEqual(['+bottom', '+middle', '+top']);
    expect(container.components().every((c) => c.state === 'active')).toBe(true);

    // Disabling the middle takes the top with it and leaves the bottom alone.
    await container.disable('middle');
    expect(log.slice(9)).toEqual(['-top (reference-unsatisfied)', '-middle (disabled)']);
    expect(container.component('bottom').state).toBe('active');
    await container.stop();
  });

  test('a component configured disabled waits for enable()', async () => {
    @Component({ name: 'dormant', enabled: false })
    class Dormant {}
    const { container } = testContainer();
    container.register(Dormant);
    await container.start();
    expect(container.component('dormant').state).toBe('disabled');
    expect(container.component('dormant').why).toEqual(['dormant is disabled; enable it to activate it.']);
    await container.enable('dormant');
    expect(container.component('dormant').state).toBe('active');
    await container.stop();
  });

  test('restart deactivates and activates a new instance; unregister removes the component', async () => {
    const instances: object[] = [];
    const reasons: string[] = [];
    @Component({ name: 'worker' })
    class Worker {
      @Activate activate(): void {
        instances.push(this);
      }
      @Deactivate deactivate(c: DeactivationContext): void {
        reasons.push(c.reason);
      }
    }
    const { container } = testContainer();
    container.register(Worker);
    await container.start();
    await container.restart('worker');
    expect(instances).toHaveLength(2);
    expect(reasons).toEqual(['restart']);
    await container.unregister('worker');
    expect(reasons).toEqual(['restart', 'disposed']);
    expect(() => container.component('worker')).toThrow(/No component named "worker"/);
    await container.stop();
  });
});
