import { inject } from 'inversify';
import { Container as InversifyContainer } from 'inversify';
import { describe, expect, test } from 'vitest';
import { Activate, Component, Reference, serviceToken, type ComponentContext } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

interface Clock {
  now(): number;
}
const ClockService = serviceToken<Clock>('test.inject.Clock');
const Listener = serviceToken<{ id: string }>('test.inject.Listener');
const Settings = Symbol('test.inject.Settings');

describe('instances are built by inversify', () => {
  test('@Reference on a constructor parameter, plain @inject(TOKEN), and bindings of a parent inversify container', async () => {
    const seen: Record<string, unknown> = {};
    @Component({ name: 'scheduler' })
    class Scheduler {
      constructor(
        @Reference({ service: ClockService }) readonly clock: Clock,
        @Reference({ service: Listener, cardinality: '0..n' }) readonly listeners: { id: string }[],
        @inject(Settings) readonly settings: { tick: number },
      ) {}
      @Activate activate(): void {
        seen.scheduler = [this.clock.now(), this.listeners.map((l) => l.id), this.settings.tick];
      }
    }
    @Component({ name: 'by-token' })
    class ByToken {
      constructor(@inject(ClockService) readonly clock: Clock) {}
      @Reference({ service: ClockService }) fieldClock!: Clock;
      @Activate activate(): void {
        seen.byToken = this.clock === this.fieldClock;
      }
    }
    const parent = new InversifyContainer();
    parent.bind(Settings).toConstantValue({ tick: 5 });
    const { container } = testContainer({ injector: parent });
    container.register(Scheduler, ByToken);
    container.registerService(ClockService, { now: () => 1234 });
    container.registerService(Listener, { id: 'a' });
    container.registerService(Listener, { id: 'b' }, { 'service.ranking': 1 });
    await container.start();
    expect(seen).toEqual({ scheduler: [1234, ['b', 'a'], 5], byToken: true });
    const info = container.component('scheduler');
    expect(info.references.map((r) => r.name)).toEqual(['constructor[0]', 'constructor[1]']);
    await container.stop();
  });

  test('two components injecting one token by @inject(TOKEN) each get the service their own reference chose', async () => {
    const got: Record<string, number> = {};
    @Component({ name: 'eu-clock-user' })
    class EuUser {
      constructor(@inject(ClockService) readonly clock: Clock) {}
      @Reference({ service: ClockService, target: '(zone=eu)' }) declared!: Clock;
      @Activate activate(): void {
        got.eu = this.clock.now();
      }
    }
    @Component({ name: 'us-clock-user' })
    class UsUser {
      constructor(@inject(ClockService) readonly clock: Clock) {}
      @Reference({ service: ClockService, target: '(zone=us)' }) declared!: Clock;
      @Activate activate(): void {
        got.us = this.clock.now();
      }
    }
    const { container } = testContainer();
    container.register(EuUser, UsUser);
    container.registerService(ClockService, { now: () => 1 }, { zone: 'eu' });
    container.registerService(ClockService, { now: () => 2 }, { zone: 'us' });
    await container.start();
    expect(got).toEqual({ eu: 1, us: 2 });
    // Unregistering removes the class's bindings: registering it again works.
    await container.unregister('eu-clock-user');
    container.register(EuUser);
    await container.whenActive('eu-clock-user');
    await container.stop();
  });

  test('constructor references of many components share inversify ids per parameter index, yet each gets its own services', async () => {
    const Slow = Symbol('test.inject.Slow');
    const A = serviceToken<{ id: string }>('test.inject.shared.A');
    const B = serviceToken<{ id: string }>('test.inject.shared.B');
    const built: Record<string, string[]> = {};
    @Component({ name: 'first' })
    class First {
      constructor(@Reference({ service: A }) a: { id: string }, @Reference({ service: B }) b: { id: string }) {
        built.first = [a.id, b.id];
      }
    }
    @Component({ name: 'second' })
    class Second {
      // An argument from the parent that comes asynchronously, before the references.
      constructor(@inject(Slow) slow: string, @Reference({ service: B }) b: { id: string }, @Reference({ service: A }) a: { id: string }) {
        built.second = [slow, b.id, a.id];
      }
    }
    const parent = new InversifyContainer();
    parent.bind(Slow).toDynamicValue(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 'slow';
    });
    const { container } = testContainer({ injector: parent });
    container.register(First, Second);
    container.registerService(A, { id: 'a' });
    container.registerService(B, { id: 'b' });
    await container.start();
    expect(built).toEqual({ first: ['a', 'b'], second: ['slow', 'b', 'a'] });
    // Registered again (its bindings removed and made anew), and restarted: built with its own services again.
    await container.unregister('first');
    delete built.first;
    container.register(First);
    await container.whenActive('first');
    await container.restart('second');
    await container.settled();
    expect(built).toEqual({ first: ['a', 'b'], second: ['slow', 'b', 'a'] });
    await container.stop();
  });

  test('a property injected by @inject(TOKEN) after an asynchronous constructor argument gets the component\'s service; so do several components of one class', async () => {
    const Slow = Symbol('test.inject.async.Slow');
    const seen: string[] = [];
    @Component({ name: 'late-property', factoryPid: 'late-property' })
    class LateProperty {
      constructor(@inject(Slow) readonly slow: string) {}
      @inject(ClockService) clock!: Clock;
      @Reference({ service: ClockService, target: '(zone=eu)' }) declared!: Clock;
      @Activate activate(context: ComponentContext): void {
        seen.push(`${context.name} ${this.slow} ${this.clock.now()}`);
      }
    }
    const parent = new InversifyContainer();
    parent.bind(Slow).toDynamicValue(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 'slow';
    });
    const { container } = testContainer({ injector: parent });
    container.register(LateProperty);
    container.registerService(ClockService, { now: () => 1 }, { zone: 'eu' });
    container.registerService(ClockService, { now: () => 2 }, { zone: 'us' });
    await container.start();
    await container.config.update('late-property~a', {});
    await container.config.update('late-property~b', { 'declared.target': '(zone=us)' });
    await container.whenActive('late-property~a');
    await container.whenActive('late-property~b');
    expect(seen.sort()).toEqual(['late-property~a slow 1', 'late-property~b slow 2']);
    await container.stop();
  });

  test('the activate context locates bound services and hides nothing but private properties from the service', async () => {
    const located: unknown[] = [];
    @Component({ name: 'locator', service: serviceToken('test.inject.Locator'), immediate: true, properties: { visible: 1, '.secret': 'x' } })
    class Locator {
      @Reference({ service: Listener, cardinality: '0..n' }) listeners!: unknown[];
      @Activate activate(context: ComponentContext): void {
        located.push(context.locateServices<{ id: string }>('listeners').map((l) => l.id));
        located.push(context.locateService<{ id: string }>('listeners')?.id);
        located.push(context.properties['.secret']);
        expect(() => context.locateService('nope')).toThrow(/no reference named "nope"/);
      }
    }
    const { container, events } = testContainer();
    container.register(Locator);
    container.registerService(Listener, { id: 'only' });
    await container.start();
    expect(located).toEqual([['only'], 'only', 'x']);
    const registered = events.find((e) => e.type === 'service' && e.change === 'registered' && e.component === 'locator');
    expect(registered).toMatchObject({ services: ['test.inject.Locator'], properties: { visible: 1, 'component.name': 'locator' } });
    expect(registered?.type === 'service' && '.secret' in registered.properties).toBe(false);
    await container.stop();
  });

  test('components written in plain JavaScript style: decorators applied as functions', async () => {
    const Greeting = serviceToken<{ text: string }>('test.inject.Greeting');
    class PlainGreeter {
      text = 'hello';
    }
    Component({ name: 'plain-greeter', service: Greeting })(PlainGreeter);
    class PlainUser {
      greeting!: { text: string };
      said = '';
      start(): void {
        this.said = this.greeting.text;
      }
    }
    Reference({ service: Greeting })(PlainUser.prototype, 'greeting');
    Activate(PlainUser.prototype, 'start');
    Component({ name: 'plain-user' })(PlainUser);
    const { container } = testContainer();
    container.register(PlainGreeter, PlainUser);
    await container.start();
    expect(container.component('plain-user').state).toBe('active');
    expect(container.component('plain-greeter').state).toBe('active');
    await container.stop();
  });
});
