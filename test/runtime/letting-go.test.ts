import { describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, Reference, serviceToken, type Container } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

const T1 = serviceToken<{ name: string }>('test.letgo.T1');
const Own = serviceToken<{ name: string }>('test.letgo.Own');

/** Who is bound to `name` right now: "consumer.reference" for each. */
function boundTo(container: Container, name: string): string[] {
  return container.components().flatMap((c) => c.references.filter((r) => r.bound.some((b) => b.component === name)).map((r) => `${c.name}.${r.name}`));
}

describe('letting go', () => {
  test('a static reference still holds its service when deactivate runs, even when a dynamic one to the same service was unbound early', async () => {
    const seen: string[] = [];
    // holder provides Own, which user holds; holder holds p's T1 both statically and dynamically.
    @Component({ name: 'p', service: T1 })
    class P {
      name = 'p';
    }
    @Component({ name: 'holder', service: Own, immediate: true })
    class Holder {
      name = 'holder';
      @Reference({ service: T1 }) fixed!: { name: string } | undefined;
      @Reference({ service: T1, name: 'moving', cardinality: '0..1', policy: 'dynamic', unbind: 'unbindMoving' }) moving?: { name: string };
      unbindMoving(): void {
        seen.push(`unbind moving (fixed=${this.fixed?.name ?? 'undefined'})`);
      }
      @Deactivate deactivate(): void {
        seen.push(`deactivate (fixed=${this.fixed?.name ?? 'undefined'})`);
      }
    }
    @Component({ name: 'user' })
    class User {
      @Reference({ service: Own }) own!: unknown;
    }
    const { container } = testContainer();
    container.register(P, Holder, User);
    await container.start();
    await container.disable('p');
    expect(seen).toEqual(['unbind moving (fixed=p)', 'deactivate (fixed=p)']);
    await container.stop();
  });

  test('a consumer acquiring from a provider that goes away is let off, so the provider does not go before its static consumer lets go', async () => {
    // n2 holds n3 statically and n1 dynamically; n3 holds n1. Disabling n1 takes n3 down; n2 was just
    // trying to acquire n3 for its dynamic reference when n3 left.
    const order: string[] = [];
    // eslint-disable-next-line prefer-const -- assigned after the classes that read it are made
    let container: Container;
    const make = (name: string, service: typeof T1 | undefined, references: { name: string; cardinality: '0..1' | '1..n'; policy: 'static' | 'dynamic' }[], ranking: number) => {
      class Made {
        name = name;
        deactivate(): void {
          order.push(`${name} deactivates; bound to it: ${boundTo(container, name).join(', ') || 'nobody'}`);
        }
      }
      for (const r of references) Reference({ service: T1, name: r.name, cardinality: r.cardinality, policy: r.policy })(Made.prototype, r.name);
      Deactivate(Made.prototype, 'deactivate');
      Component({ name, ...(service && { service }), properties: { 'service.ranking': ranking } })(Made);
      return Made;
    };
    const n1 = make('n1', T1, [], 0);
    const n2 = make('n2', undefined, [{ name: 'moving', cardinality: '0..1', policy: 'dynamic' }, { name: 'fixed', cardinality: '0..1', policy: 'static' }], 0);
    const n3 = make('n3', T1, [{ name: 'all', cardinality: '1..n', policy: 'static' }], 1);
    ({ container } = testContainer());
    container.register(n3, n1, n2);
    await container.start();
    expect(container.component('n2').references.map((r) => r.bound.map((b) => b.component))).toEqual([['n1'], ['n3']]);
    await container.disable('n1');
    await container.settled();
    expect(order.filter((line) => !line.endsWith('nobody'))).toEqual([]);
    await container.stop();
  });

  test('a component is never bound to its own service', async () => {
    @Component({ name: 'self', service: Own, immediate: true })
    class Self {
      name = 'self';
      @Reference({ service: Own, cardinality: '0..n', policy: 'dynamic' }) others!: { name: string }[];
    }
    @Component({ name: 'needy', service: Own, immediate: true })
    class Needy {
      name = 'needy';
      @Reference({ service: Own }) other!: { name: string };
    }
    const { container } = testContainer();
    container.register(Self, Needy);
    await container.start();
    expect(container.component('self').references[0]?.bound.map((b) => b.component)).toEqual(['needy']);
    expect(container.component('needy').references[0]?.bound.map((b) => b.component)).toEqual(['self']);
    expect(container.component('needy').references[0]?.candidates.map((c) => c.component)).toEqual(['self']);
    await container.stop();
  });

  test('when an outside service is unregistered, its static consumer has finished deactivating (however long its deactivate takes)', async () => {
    @Component({ name: 'slow-to-go' })
    class SlowToGo {
      @Reference({ service: T1 }) t!: unknown;
      @Activate activate(): void {}
      @Deactivate async deactivate(): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 12));
      }
    }
    const { container } = testContainer();
    const registration = container.registerService(T1, { name: 'outside' });
    container.register(SlowToGo);
    await container.start();
    await registration.unregister();
    expect(container.component('slow-to-go').state).toBe('unsatisfied-reference');
    await container.stop();
  });
});
