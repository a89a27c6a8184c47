import { describe, expect, test } from 'vitest';
import { Activate, Component, Reference, serviceToken, type ServiceRegistration, type ServiceToken } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { deferred } from '../helpers/deferred.js';

const A = serviceToken<{ name: string }>('test.guard.A');
const B = serviceToken<{ name: string }>('test.guard.B');
const S = serviceToken<{ name: string }>('test.guard.S');

/** The reactivation guard: loops are stopped; components that rest between real changes are not. */
describe('the reactivation guard', () => {
  test('a loop that makes a new, better service from outside on every activation is stopped (whatever the service ids)', async () => {
    const { container } = testContainer({ reactivationLimit: 50 });
    let ranking = 0;
    let activations = 0;
    @Component({ name: 'maker' })
    class Maker {
      @Reference({ service: A, policyOption: 'greedy' }) a!: { name: string };
      @Activate activate(): void {
        activations++;
        container.registerService(A, { name: `made ${ranking}` }, { 'service.ranking': ++ranking });
      }
    }
    container.registerService(A, { name: 'first' });
    container.register(Maker);
    await container.start();
    const info = container.component('maker');
    expect(info.failure?.code).toBe('REACTIVATION_LOOP');
    expect(info.failure?.message).toMatch(/^Component maker went round the same change 51 times in \d+ ms \(reference-changed, a=outside\), so it was stopped: what it binds keeps changing as it activates\./);
    expect(activations).toBe(51);
    await container.stop();
  });

  test('a loop through a cycle of components names the cycle', async () => {
    // c needs A (static), which p provides; p reads its configuration and uses c's B. Each activation of c
    // rewrites p's configuration; p has no @Modified, so it comes back with a new service, and c with it.
    const { container } = testContainer({ reactivationLimit: 20 });
    let round = 0;
    @Component({ name: 'p', service: A, immediate: true })
    class P {
      name = 'p';
      @Reference({ service: B, cardinality: '0..1', policy: 'dynamic' }) b?: unknown;
    }
    @Component({ name: 'c', service: B, immediate: true })
    class C {
      name = 'c';
      @Reference({ service: A }) a!: unknown;
      @Activate activate(): void {
        void container.config.update('p', { round: ++round });
      }
    }
    container.register(P, C);
    await container.start();
    // The configuration writes c starts are not the container's to wait for: wait for the guard instead.
    // Which of the two it stops depends on which reaches the limit first (on a busy machine, either).
    const info = await Promise.any(['c', 'p'].map((name) => container.whenState(name, 'failed-activation', 20_000)));
    expect(info.failure?.code).toBe('REACTIVATION_LOOP');
    expect(info.failure?.message).toMatch(info.name === 'c' ? /\(reference-unsatisfied, a=none\), so it was stopped: c → p → c keep changing each other\./ : /so it was stopped: p → c → p keep changing each other\./);
    await container.stop();
  });

  test('a service flapping every few milliseconds while another component activates slowly is not a loop', async () => {
    const gate = deferred();
    const { container } = testContainer({ reactivationLimit: 20 });
    @Component({ name: 'follower' })
    class Follower {
      @Reference({ service: S }) s!: unknown;
    }
    @Component({ name: 'slowpoke' })
    class Slowpoke {
      @Activate async activate(): Promise<void> {
        await gate.promise;
      }
    }
    container.register(Follower, Slowpoke);
    let registration: ServiceRegistration = container.registerService(S, { name: 's' });
    const starting = container.start();
    await container.whenActive('follower');
    // The container does not settle meanwhile: slowpoke is still activating.
    for (let i = 0; i < 60; i++) {
      await registration.unregister();
      // A peer that comes back 10 ms later (more than a component needs to rest), 60 times over.
      await new Promise((resolve) => setTimeout(resolve, 10));
      registration = container.registerService(S, { name: 's' });
      await container.whenActive('follower');
    }
    expect(container.component('slowpoke').state).toBe('activating');
    expect(container.component('follower')).toMatchObject({ state: 'active' });
    expect(container.component('follower').failure).toBeUndefined();
    gate.resolve();
    await starting;
    await container.stop();
  });

  test('stop() completes while components loop (with no limit in sight), and the start it interrupts rejects', async () => {
    const { container } = testContainer({ reactivationLimit: 1e9 });
    const x1 = container.registerService(A, { name: 'x1' }, { 'service.ranking': 1 });
    const x2 = container.registerService(A, { name: 'x2' }, { 'service.ranking': 0 });
    const registrations = { x1, x2 };
    let ranking = 1;
    let activations = 0;
    const spinning = deferred();
    @Component({ name: 'spinner' })
    class Spinner {
      @Reference({ service: A, policyOption: 'greedy' }) a!: { name: string };
      @Activate activate(): void {
        if (++activations === 500) spinning.resolve();
        void registrations[this.a.name as 'x1' | 'x2'].setProperties({ 'service.ranking': -ranking++ });
      }
    }
    container.register(Spinner);
    const starting = container.start();
    await spinning.promise;
    await container.stop();
    await expect(starting).rejects.toMatchObject({ code: 'CONTAINER_STOPPED' });
    expect(container.component('spinner').state).toBe('disabled');
  });

  test.each([2, 3, 4])('a ring of %i components that keep making better services for each other is stopped (default limit)', async (size) => {
    const { container } = testContainer();
    const tokens = Array.from({ length: size }, (_, i) => serviceToken<{ name: string }>(`test.guard.ring${size}.${i}`));
    let ranking = 0;
    const classes = tokens.map((token, i) => {
      const next = tokens[(i + 1) % size] as typeof token;
      class Ringer {
        x!: unknown;
        activate(): void {
          container.registerService(next, { name: `for ${i + 1}` }, { 'service.ranking': ++ranking });
        }
      }
      Reference({ service: token, policyOption: 'greedy' })(Ringer.prototype, 'x');
      Activate(Ringer.prototype, 'activate');
      Component({ name: `r${i}`, immediate: true })(Ringer);
      return Ringer;
    });
    container.registerService(tokens[0] as ServiceToken, { name: 'seed' });
    container.register(...classes);
    await container.start();
    expect(container.components().filter((c) => c.failure?.code === 'REACTIVATION_LOOP')).toHaveLength(1);
    await container.stop();
  });

  test.each(['static', 'dynamic'] as const)(
    'outside code taking a service away and back 150 times in a row, awaiting each step, does not trip a %s consumer',
    async (policy) => {
      const { container } = testContainer();
      @Component({ name: 'follower' })
      class Follower {
        @Reference({ service: S, policy }) s!: unknown;
      }
      container.register(Follower);
      let registration: ServiceRegistration = container.registerService(S, { name: 's' });
      await container.start();
      for (let i = 0; i < 150; i++) {
        await registration.unregister();
        registration = container.registerService(S, { name: 's' });
        await container.whenActive('follower');
      }
      expect(container.component('follower').failure).toBeUndefined();
      await container.stop();
    },
  );

  test('300 configuration updates in a row to a component without @Modified do not trip it; nor 300 gets and releases of a delayed provider', async () => {
    const { container } = testContainer();
    let activations = 0;
    @Component({ name: 'configured', configurationPolicy: 'require' })
    class Configured {
      @Activate activate(): void {
        activations++;
      }
    }
    @Component({ name: 'lazy', service: B })
    class Lazy {
      name = 'lazy';
    }
    container.register(Configured, Lazy);
    await container.start();
    for (let i = 0; i < 300; i++) await container.config.update('configured', { n: i });
    await container.whenActive('configured');
    for (let i = 0; i < 300; i++) container.ungetService(await container.getService(B));
    await container.settled();
    expect(container.component('configured').failure).toBeUndefined();
    expect(container.component('lazy').failure).toBeUndefined();
    expect(activations).toBeGreaterThan(1);
    await container.stop();
  });
});
