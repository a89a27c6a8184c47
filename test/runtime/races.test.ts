import { describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, Reference, serviceToken, type ServiceRegistration } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { deferred } from '../helpers/deferred.js';

const Feed = serviceToken<{ n: number }>('test.races.Feed');

describe('races', () => {
  test('a service unregistered while its consumer is still activating: the consumer ends unsatisfied, not active with a dead reference', async () => {
    const entered = deferred();
    const gate = deferred();
    const log: string[] = [];
    @Component({ name: 'consumer' })
    class Consumer {
      @Reference({ service: Feed }) feed!: { n: number };
      @Activate async activate(): Promise<void> {
        entered.resolve();
        await gate.promise;
        log.push('activate done');
      }
      @Deactivate deactivate(): void {
        log.push('deactivate');
      }
    }
    const { container, transitions } = testContainer();
    container.register(Consumer);
    const feed = container.registerService(Feed, { n: 1 });
    const starting = container.start();
    await entered.promise;
    const unregistered = feed.unregister();
    gate.resolve();
    await unregistered;
    await starting;
    expect(container.component('consumer').state).toBe('unsatisfied-reference');
    expect(container.component('consumer').references[0]?.bound).toEqual([]);
    expect(log).toEqual(['activate done', 'deactivate']);
    expect(transitions()).not.toContain('consumer:active');
    await container.stop();
  });

  test('a storm of 1,000 register/unregister events ends in the correct final state, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      let activations = 0;
      let deactivations = 0;
      @Component({ name: 'static-consumer' })
      class StaticConsumer {
        @Reference({ service: Feed }) feed!: { n: number };
        @Activate async activate(): Promise<void> {
          activations++;
          await Promise.resolve();
        }
        @Deactivate deactivate(): void {
          deactivations++;
        }
      }
      @Component({ name: 'dynamic-consumer' })
      class DynamicConsumer {
        @Reference({ service: Feed, cardinality: '0..n', policy: 'dynamic' }) feeds!: { n: number }[];
      }
      const { container } = testContainer();
      container.register(StaticConsumer, DynamicConsumer);
      await container.start();

      const live = new Set<ServiceRegistration<{ n: number }>>();
      const pending: Promise<void>[] = [];
      let seed = 42;
      const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
      for (let i = 0; i < 1000; i++) {
        if (live.size === 0 || random() < 0.55) {
          live.add(container.registerService(Feed, { n: i }, { 'service.ranking': Math.floor(random() * 10) }));
        } else {
          const victim = [...live][Math.floor(random() * live.size)]!;
          live.delete(victim);
          pending.push(victim.unregister());
        }
      }
      await Promise.all(pending);
      await container.settled();

      const expected = [...live].sort((a, b) => Number(b.properties['service.ranking']) - Number(a.properties['service.ranking']) || a.id - b.id);
      const staticInfo = container.component('static-consumer');
      expect(staticInfo.state).toBe('active');
      expect(staticInfo.references[0]?.bound).toHaveLength(1);
      expect(live.has([...live].find((r) => r.id === staticInfo.references[0]?.bound[0]?.serviceId)!)).toBe(true);
      expect(activations - deactivations).toBe(1);
      const dynamicInfo = container.component('dynamic-consumer');
      expect(dynamicInfo.references[0]?.bound.map((b) => b.serviceId)).toEqual(expected.map((r) => r.id));

      // Then everything goes: both end where they should.
      await Promise.all([...live].map((r) => r.unregister()));
      await container.settled();
      expect(container.component('static-consumer').state).toBe('unsatisfied-reference');
      expect(container.component('dynamic-consumer').references[0]?.bound).toEqual([]);
      expect(activations).toBe(deactivations);
      await container.stop();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  test('a storm of 1,000 component registrations and unregistrations, none awaited, ends with the last word, one instance at a time', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      let live = 0;
      let most = 0;
      // Few classes, registered again and again: what a withdrawn registration leaves behind would clash.
      const makeProvider = (generation: string) => {
        @Component({ name: 'provider', service: Feed, immediate: true, properties: { generation } })
        class Provider {
          @Activate async activate(): Promise<void> {
            most = Math.max(most, ++live);
            await Promise.resolve();
          }
          @Deactivate async deactivate(): Promise<void> {
            await Promise.resolve();
            live--;
          }
        }
        return Provider;
      };
      const classes = ['a', 'b', 'c'].map(makeProvider);
      const { container } = testContainer();
      await container.start();
      const pending: Promise<void>[] = [];
      let registered = false;
      let seed = 7;
      const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
      let last = -1;
      for (let i = 0; i < 1000; i++) {
        if (!registered || random() < 0.4) {
          if (registered) pending.push(container.unregister('provider'));
          last = Math.floor(random() * classes.length);
          container.register(classes[last]!);
          registered = true;
        } else {
          pending.push(container.unregister('provider'));
          registered = false;
        }
        if (random() < 0.1) await Promise.resolve();
      }
      // The last word is a registration (while the one before may still be deactivating).
      if (!registered) {
        last = 0;
        container.register(classes[last]!);
      }
      // A second registration while one is waiting to take the name is a clash, naming the waiting one.
      expect(() => container.register(makeProvider('late'))).toThrow(`Cannot register Provider as component "provider": Provider already has that name`);
      await Promise.all(pending);
      await container.settled();
      expect(container.component('provider').state).toBe('active');
      expect(container.component('provider').properties.generation).toBe(['a', 'b', 'c'][last]);
      expect(most).toBe(1);
      expect(live).toBe(1);
      await container.stop();
      expect(live).toBe(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  test('while the old component of a name is deactivating, the name means the one registered in its place', async () => {
    const gate = deferred();
    const log: string[] = [];
    @Component({ name: 'p', service: Feed, immediate: true, properties: { generation: 1 } })
    class First {
      @Activate activate(): void {
        log.push('first up');
      }
      @Deactivate async deactivate(): Promise<void> {
        await gate.promise;
        log.push('first down');
      }
    }
    @Component({ name: 'p', service: Feed, immediate: true, properties: { generation: 2 } })
    class Second {
      @Activate activate(): void {
        log.push('second up');
      }
    }
    const { container } = testContainer();
    container.register(First);
    await container.start();
    const removed = container.unregister('p');
    container.register(Second);
    expect(container.component('p').implementation).toBe('Second');
    const up = container.whenActive('p');
    expect(container.component('p').state).not.toBe('active');
    gate.resolve();
    await Promise.all([removed, up]);
    expect(container.component('p').properties.generation).toBe(2);
    expect(log).toEqual(['first up', 'first down', 'second up']);
    // Registered, withdrawn, registered again: the same class comes up cleanly.
    const again = container.unregister('p');
    container.register(First);
    const withdrawn = container.unregister('p');
    await Promise.all([again, withdrawn]);
    container.register(First);
    await container.whenActive('p');
    expect(container.component('p').properties.generation).toBe(1);
    await container.stop();
  });
});
