import { describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, Reference, serviceToken, type DeactivationContext } from '@lattice-scr/lattice';
import { CANCELLED, WaitGraph } from '../../src/runtime/WaitGraph.js';
import { testContainer } from '../helpers/container.js';
import { deferred } from '../helpers/deferred.js';

const P = serviceToken<{ name: string }>('test.regressions.P');
const X = serviceToken<{ name: string }>('test.regressions.X');
const A = serviceToken<{ name: string }>('test.regressions.A');
const B = serviceToken<{ name: string }>('test.regressions.B');

/** Regression tests, each named after the bug it guards against (found in review). */
describe('regressions', () => {
  test('lost wakeup: a consumer waiting on a provider that re-registers (static greedy) ends active, not stuck', async () => {
    const gate = deferred();
    const entered = deferred();
    let activations = 0;
    @Component({ name: 'prov', service: P })
    class Prov {
      name = 'prov';
      @Reference({ service: X, policyOption: 'greedy' }) x!: unknown;
      @Activate async activate(): Promise<void> {
        if (activations++ === 0) {
          entered.resolve();
          await gate.promise;
        }
      }
    }
    @Component({ name: 'cons' })
    class Cons {
      @Reference({ service: P }) p!: { name: string };
    }
    const { container } = testContainer();
    container.registerService(X, { name: 'x1' });
    container.register(Prov, Cons);
    const starting = container.start();
    await entered.promise;
    container.registerService(X, { name: 'x2' }, { 'service.ranking': 5 });
    gate.resolve();
    await starting;
    expect(container.component('cons').state).toBe('active');
    expect(container.component('prov').references[0]?.bound[0]?.properties['service.ranking']).toBe(5);
    await container.stop();
  });

  test('getService while a delayed provider deactivates for being unused waits and gets a fresh instance', async () => {
    const gate = deferred();
    const entered = deferred();
    const reasons: string[] = [];
    let instances = 0;
    @Component({ name: 'prov', service: P })
    class Prov {
      readonly name = `prov #${++instances}`;
      @Deactivate async deactivate(context: DeactivationContext): Promise<void> {
        reasons.push(context.reason);
        entered.resolve();
        await gate.promise;
      }
    }
    @Component({ name: 'cons' })
    class Cons {
      @Reference({ service: P, policy: 'dynamic' }) p!: { name: string };
    }
    const { container } = testContainer();
    container.register(Prov);
    await container.start();
    const first = await container.getService(P);
    expect(first?.name).toBe('prov #1');
    container.ungetService(first);
    await entered.promise;
    // Both a caller outside the container and a newly registered consumer ask while it deactivates.
    const asked = container.getService(P);
    container.register(Cons);
    gate.resolve();
    expect((await asked)?.name).toBe('prov #2');
    await container.whenActive('cons');
    expect(container.component('cons').references[0]?.bound[0]?.component).toBe('prov');
    expect(reasons).toEqual(['unused']);
    await container.stop();
  });

  test('a static greedy multiple reference in a cycle settles with both active (no ping-pong)', async () => {
    let relaxedActivations = 0;
    @Component({ name: 'needy', service: A, immediate: true })
    class Needy {
      name = 'needy';
      @Reference({ service: B }) b!: unknown;
    }
    @Component({ name: 'relaxed', service: B, immediate: true })
    class Relaxed {
      name = 'relaxed';
      @Reference({ service: A, cardinality: '0..n', policyOption: 'greedy' }) a!: unknown[];
      @Activate activate(): void {
        relaxedActivations++;
      }
    }
    const { container } = testContainer();
    container.register(Needy, Relaxed);
    await container.start();
    expect(container.component('needy').state).toBe('active');
    expect(container.component('relaxed').state).toBe('active');
    // Greedy: A appearing (once needy is satisfied) is worth one new instance, but never binding the
    // service of a component that depends on it, which would take needy down and start over.
    expect(relaxedActivations).toBeLessThanOrEqual(2);
    await container.stop();
  });

  test('a hung unbind method does not hang stop(): it is given up on after the deactivation timeout', async () => {
    @Component({ name: 'cons' })
    class Cons {
      @Reference({ service: P, unbind: 'unbindP' }) p!: unknown;
      unbindP(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const { container, errors } = testContainer({ deactivationTimeoutMs: 50 });
    container.register(Cons);
    container.registerService(P, { name: 'x' });
    await container.start();
    await container.stop();
    expect(container.component('cons').state).toBe('disabled');
    expect(errors().some((e) => e.msg.includes('unbind method unbindP() of cons threw: did not finish within 50 ms'))).toBe(true);
  });

  test('a restart requested just before a delayed component became unused does not kill its next activation', async () => {
    const reasons: string[] = [];
    let activations = 0;
    @Component({ name: 'prov', service: P })
    class Prov {
      name = 'prov';
      @Activate activate(): void {
        activations++;
      }
      @Deactivate deactivate(context: DeactivationContext): void {
        reasons.push(context.reason);
      }
    }
    const { container } = testContainer();
    container.register(Prov);
    await container.start();
    const service = await container.getService(P);
    const restarting = container.restart('prov');
    container.ungetService(service);
    await restarting;
    const again = await container.getService(P);
    await container.settled();
    expect(again?.name).toBe('prov');
    expect(container.component('prov').state).toBe('active');
    expect(activations).toBe(2);
    expect(reasons).toEqual(['unused']);
    await container.stop();
  });

  test('the wait graph breaks every path of a cycle, not only the first it finds', async () => {
    const graph = new WaitGraph<string>((s) => s);
    const never = new Promise<number>(() => undefined);
    const cancelled: string[] = [];
    const track = (name: string, p: Promise<unknown>): void => {
      void p.then((v) => {
        if (typeof v === 'symbol') cancelled.push(name);
      });
    };
    track('P→Q', graph.wait('P', 'Q', 'mandatory', never));
    track('Q→U1', graph.wait('Q', 'U1', 'breakable', never));
    track('Q→U2', graph.wait('Q', 'U2', 'breakable', never));
    track('U1→C', graph.wait('U1', 'C', 'mandatory', never));
    track('U2→C', graph.wait('U2', 'C', 'mandatory', never));
    track('C→P', graph.wait('C', 'P', 'mandatory', never));
    await Promise.resolve();
    await Promise.resolve();
    expect(cancelled.sort()).toEqual(['Q→U1', 'Q→U2']);
    expect(graph.waitingFor('Q')).toEqual([]);
  });

  test('the wait graph: a wait that ends up refused has broken no other wait on its way', async () => {
    const graph = new WaitGraph<string>((s) => s);
    const never = new Promise<string>(() => undefined);
    const optional = graph.wait('X', 'A', 'breakable', never);
    void graph.wait('X', 'Y', 'fallback', never);
    void graph.wait('Y', 'A', 'mandatory', never);
    // A→X closes two cycles: one through X's optional wait, one through fallback and mandatory waits
    // only. A fallback wait then refuses itself, and X's optional wait must stand.
    expect(await graph.wait('A', 'X', 'fallback', never)).toBe(CANCELLED);
    expect(await Promise.race([optional, Promise.resolve('still waiting')])).toBe('still waiting');
  });

  test('a component that failed before a stop is retried on the next start', async () => {
    let fail = true;
    @Component({ name: 'flaky' })
    class Flaky {
      @Activate activate(): void {
        if (fail) throw new Error('not yet');
      }
    }
    const { container } = testContainer();
    container.register(Flaky);
    await container.start();
    expect(container.component('flaky').state).toBe('failed-activation');
    await container.stop();
    fail = false;
    await container.start();
    expect(container.component('flaky').state).toBe('active');
    await container.stop();
  });
});
