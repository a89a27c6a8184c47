import { describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, Reference, serviceToken, type ComponentContext, type DeactivationContext } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { deferred } from '../helpers/deferred.js';

interface Greeter {
  greet(): string;
}
const GreeterService = serviceToken<Greeter>('test.activation.Greeter');

describe('activation', () => {
  test('component with no references and no service activates on start()', async () => {
    const seen: ComponentContext[] = [];
    @Component({ properties: { colour: 'blue' } })
    class Standalone {
      @Activate
      activate(context: ComponentContext): void {
        seen.push(context);
      }
    }
    const { container, transitions } = testContainer();
    container.register(Standalone);
    expect(container.component('Standalone').state).toBe('disabled');
    await container.start();
    expect(container.component('Standalone').state).toBe('active');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.properties).toMatchObject({ colour: 'blue', 'component.name': 'Standalone' });
    expect(seen[0]?.logger.bindings()).toMatchObject({ component: 'Standalone' });
    expect(transitions()).toEqual(['Standalone:activating', 'Standalone:active']);
    await container.stop();
  });

  test('delayed component: registered, activated on first getService, deactivated when its last user goes away', async () => {
    const log: string[] = [];
    @Component({ service: GreeterService })
    class LazyGreeter implements Greeter {
      @Activate activate(): void {
        log.push('activate');
      }
      @Deactivate deactivate(context: DeactivationContext): void {
        log.push(`deactivate:${context.reason}`);
      }
      greet(): string {
        return 'hello';
      }
    }
    const { container } = testContainer();
    container.register(LazyGreeter);
    await container.start();
    const info = container.component('LazyGreeter');
    expect(info.state).toBe('satisfied');
    expect(info.serviceId).toBeGreaterThan(0);
    expect(log).toEqual([]);

    const greeter = await container.getService(GreeterService);
    expect(greeter?.greet()).toBe('hello');
    expect(container.component('LazyGreeter').state).toBe('active');
    expect(container.component('LazyGreeter').useCount).toBe(1);

    container.ungetService(greeter);
    await container.settled();
    expect(container.component('LazyGreeter').state).toBe('satisfied');
    expect(log).toEqual(['activate', 'deactivate:unused']);
    await container.stop();
  });

  test('delayed component used by a component: deactivated when that consumer is disabled', async () => {
    const log: string[] = [];
    @Component({ service: GreeterService, name: 'delayed-provider' })
    class Provider implements Greeter {
      @Activate activate(): void {
        log.push('provider up');
      }
      @Deactivate deactivate(): void {
        log.push('provider down');
      }
      greet(): string {
        return 'hi';
      }
    }
    @Component({ name: 'consumer' })
    class Consumer {
      @Reference({ service: GreeterService }) greeter!: Greeter;
      @Activate activate(): void {
        log.push(`consumer up: ${this.greeter.greet()}`);
      }
    }
    const { container } = testContainer();
    container.register(Provider, Consumer);
    await container.start();
    expect(log).toEqual(['provider up', 'consumer up: hi']);
    await container.disable('consumer');
    expect(container.component('delayed-provider').state).toBe('satisfied');
    expect(log).toEqual(['provider up', 'consumer up: hi', 'provider down']);
    await container.stop();
  });

  test('activation order: a DAG activates strictly after its providers; independent components overlap', async () => {
    const A = serviceToken('test.order.A');
    const B = serviceToken('test.order.B');
    const C = serviceToken('test.order.C');
    const log: string[] = [];
    const started = { a: deferred(), b: deferred() };
    const gate = { a: deferred(), b: deferred() };

    // a and b are independent and slow; c needs both; d needs c.
    @Component({ name: 'a', service: A, immediate: true })
    class CompA {
      @Activate async activate(): Promise<void> {
        log.push('a:start');
        started.a.resolve();
        await gate.a.promise;
        log.push('a:end');
      }
    }
    @Component({ name: 'b', service: B, immediate: true })
    class CompB {
      @Activate async activate(): Promise<void> {
        log.push('b:start');
        started.b.resolve();
        await gate.b.promise;
        log.push('b:end');
      }
    }
    @Component({ name: 'c', service: C, immediate: true })
    class CompC {
      @Reference({ service: A }) a!: unknown;
      @Reference({ service: B }) b!: unknown;
      @Activate activate(): void {
        log.push('c');
      }
    }
    @Component({ name: 'd' })
    class CompD {
      @Reference({ service: C }) c!: unknown;
      @Activate activate(): void {
        log.push('d');
      }
    }
    const { container } = testContainer();
    // Registered consumers first: the order of registration must not matter.
    container.register(CompD, CompC, CompB, CompA);
    const starting = container.start();
    await Promise.all([started.a.promise, started.b.promise]);
    // Both slow activations are running at once.
    expect(log).toEqual(expect.arrayContaining(['a:start', 'b:start']));
    expect(log).not.toContain('a:end');
    expect(log).not.toContain('b:end');
    gate.b.resolve();
    gate.a.resolve();
    await starting;
    expect(log.indexOf('c')).toBeGreaterThan(log.indexOf('a:end'));
    expect(log.indexOf('c')).toBeGreaterThan(log.indexOf('b:end'));
    expect(log.indexOf('d')).toBeGreaterThan(log.indexOf('c'));
    expect(container.components().map((c) => c.state)).toEqual(['active', 'active', 'active', 'active']);
    await container.stop();
  });

  test('stop deactivates in reverse dependency order and awaits every deactivate', async () => {
    const Base = serviceToken('test.stop.Base');
    const Middle = serviceToken('test.stop.Middle');
    const log: string[] = [];
    const slowDeactivate = async (name: string): Promise<void> => {
      log.push(`${name}:begin`);
      await new Promise((resolve) => setImmediate(resolve));
      log.push(`${name}:end`);
    };
    @Component({ name: 'base', service: Base, immediate: true })
    class BaseComp {
      @Deactivate async deactivate(): Promise<void> {
        await slowDeactivate('base');
      }
    }
    @Component({ name: 'middle', service: Middle, immediate: true })
    class MiddleComp {
      @Reference({ service: Base }) base!: unknown;
      @Deactivate async deactivate(): Promise<void> {
        await slowDeactivate('middle');
      }
    }
    @Component({ name: 'top' })
    class TopComp {
      @Reference({ service: Middle }) middle!: unknown;
      @Deactivate async deactivate(): Promise<void> {
        await slowDeactivate('top');
      }
    }
    const { container } = testContainer();
    container.register(BaseComp, MiddleComp, TopComp);
    await container.start();
    await container.stop();
    expect(log).toEqual(['top:begin', 'top:end', 'middle:begin', 'middle:end', 'base:begin', 'base:end']);
    expect(container.components().every((c) => c.state === 'disabled')).toBe(true);
    expect(container.components().every((c) => c.lastDeactivationReason === 'container-stopped')).toBe(true);
  });
});

describe('activation without waits', () => {
  /** A chain of `size` classes, each taking the one before through its constructor, as plain JavaScript writes it. */
  function chain(size: number): (new (...args: never[]) => object)[] {
    const classes: (new (...args: never[]) => object)[] = [];
    for (let i = 0; i < size; i++) {
      const token = serviceToken(`test.activation.chain.${i}`);
      // A rest parameter: the first link's constructor has no parameter for inversify to fill.
      const Link = class {
        readonly previous: object[];
        constructor(...previous: object[]) {
          this.previous = previous;
        }
      };
      Object.defineProperty(Link, 'name', { value: `Link${i}` });
      if (i > 0) Reference({ service: serviceToken(`test.activation.chain.${i - 1}`) })(Link, undefined, 0);
      Component({ name: `link-${i}`, service: token, immediate: true })(Link);
      classes.push(Link);
    }
    return classes;
  }

  test('a component whose providers are active goes from activating to active before the next one starts, past the pace of 256 steps', async () => {
    // Without the constructor built at once (inversify get) and the steps that did not wait followed at
    // once, each link would wait for the one before it, and the transitions would interleave.
    const { container, transitions } = testContainer();
    container.register(...(chain(600) as unknown as Parameters<typeof container.register>));
    await container.start();
    const seen = transitions();
    expect(seen).toHaveLength(1200);
    seen.forEach((transition, i) => {
      const link = Math.floor(i / 2);
      expect(transition).toBe(`link-${link}:${i % 2 === 0 ? 'activating' : 'active'}`);
    });
    await container.stop();
  });
});

describe('the event loop turns during a big start', () => {
  test('a 3,000-link chain that activates without waits still lets timers run: a few hundred links per turn at most', async () => {
    const classes: (new (...args: never[]) => object)[] = [];
    for (let i = 0; i < 3000; i++) {
      const Link = class {
        readonly previous: object[];
        constructor(...previous: object[]) {
          this.previous = previous;
        }
      };
      if (i > 0) Reference({ service: serviceToken(`test.activation.turns.${i - 1}`) })(Link, undefined, 0);
      Component({ name: `turns-${i}`, service: serviceToken(`test.activation.turns.${i}`), immediate: true })(Link);
      classes.push(Link);
    }
    const { container } = testContainer();
    container.register(...(classes as unknown as Parameters<typeof container.register>));
    let active = 0;
    let atLastTick = 0;
    let most = 0;
    container.on((event) => {
      if (event.type === 'component' && event.state === 'active') active++;
    });
    const ticks = setInterval(() => {
      most = Math.max(most, active - atLastTick);
      atLastTick = active;
    }, 0);
    await container.start();
    clearInterval(ticks);
    most = Math.max(most, active - atLastTick);
    expect(active).toBe(3000);
    // Reconciles are paced 256 at a time (those parked on one turn included): without that, all 3,000 went in one.
    expect(most).toBeLessThan(1000);
    await container.stop();
  });
});
