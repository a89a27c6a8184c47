import { describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, ErrorCode, Reference, serviceToken } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { deferred } from '../helpers/deferred.js';

const Engine = serviceToken<{ run(): string }>('test.failures.Engine');
const Fuel = serviceToken<{ kind: string }>('test.failures.Fuel');

describe('failures', () => {
  test.each([
    ['throws', () => {
      throw new Error('engine would not start');
    }],
    ['rejects', () => Promise.reject(new Error('engine would not start'))],
  ] as const)('activate %s -> failed-activation with message and stack; dependents unsatisfied; others unaffected; enable retries', async (_how, failure) => {
    let broken = true;
    @Component({ name: 'engine', service: Engine, immediate: true })
    class EngineComp {
      @Activate activate(): unknown {
        return broken ? failure() : undefined;
      }
      run(): string {
        return 'vroom';
      }
    }
    @Component({ name: 'car' })
    class Car {
      @Reference({ service: Engine }) engine!: { run(): string };
    }
    @Component({ name: 'radio' })
    class Radio {}
    const { container, errors } = testContainer();
    container.register(EngineComp, Car, Radio);
    await container.start();

    const engine = container.component('engine');
    expect(engine.state).toBe('failed-activation');
    expect(engine.failure?.code).toBe(ErrorCode.ACTIVATION_FAILED);
    expect(engine.failure?.message).toBe('engine would not start');
    expect(engine.failure?.stack).toContain('engine would not start');
    expect(engine.serviceId).toBeUndefined();
    expect(container.component('car').state).toBe('unsatisfied-reference');
    expect(container.component('car').why.join(' ')).toContain('engine is failed-activation (engine would not start)');
    expect(container.component('radio').state).toBe('active');
    expect(errors().some((e) => e.component === 'engine' && e.msg.includes('failed to activate'))).toBe(true);

    broken = false;
    await container.enable('engine');
    expect(container.component('engine').state).toBe('active');
    expect(container.component('engine').failure).toBeUndefined();
    expect(container.component('car').state).toBe('active');
    await container.stop();
  });

  test('a failed component is retried when its references change (unsatisfied, then satisfied again)', async () => {
    let attempts = 0;
    @Component({ name: 'picky-engine', service: Engine, immediate: true })
    class PickyEngine {
      @Reference({ service: Fuel }) fuel!: { kind: string };
      @Activate activate(): void {
        attempts++;
        if (this.fuel.kind !== 'petrol') throw new Error(`cannot run on ${this.fuel.kind}`);
      }
    }
    const { container } = testContainer();
    container.register(PickyEngine);
    const diesel = container.registerService(Fuel, { kind: 'diesel' });
    await container.start();
    expect(container.component('picky-engine').state).toBe('failed-activation');
    // A service arriving that it would not bind (same ranking, newer) does not retry it...
    const petrol = container.registerService(Fuel, { kind: 'petrol' });
    await container.settled();
    expect(container.component('picky-engine').state).toBe('failed-activation');
    expect(attempts).toBe(1);
    // ...but losing the one it would bind does.
    await diesel.unregister();
    await container.whenActive('picky-engine');
    expect(attempts).toBe(2);
    expect(container.component('picky-engine').failure).toBeUndefined();
    await petrol.unregister();
    expect(container.component('picky-engine').state).toBe('unsatisfied-reference');
    await container.stop();
  });

  test('activate that never settles -> failed-activation with a timeout error after the configured time; other work goes on', async () => {
    const never = deferred();
    const lateDeactivation = deferred<string>();
    @Component({ name: 'hung', activationTimeoutMs: 50 })
    class Hung {
      @Activate async activate(): Promise<void> {
        await never.promise;
      }
      @Deactivate deactivate(context: { reason: string }): void {
        lateDeactivation.resolve(context.reason);
      }
    }
    @Component({ name: 'fine' })
    class Fine {}
    @Component({ name: 'late' })
    class Late {}
    const { container } = testContainer();
    container.register(Hung, Fine);
    const starting = container.start();
    // While hung's activate hangs, the rest goes on: one registered now comes up before it times out.
    await container.whenState('hung', 'activating');
    container.register(Late);
    await container.whenActive('late');
    expect(container.component('hung').state).toBe('activating');
    await starting;
    expect(container.component('fine').state).toBe('active');
    const hung = container.component('hung');
    expect(hung.state).toBe('failed-activation');
    expect(hung.failure?.code).toBe(ErrorCode.ACTIVATION_TIMEOUT);
    expect(hung.failure?.message).toContain('within 50 ms');
    // If the activate finally finishes, that late instance is deactivated rather than leaked.
    never.resolve();
    expect(await lateDeactivation.promise).toBe('activation-timeout');
    expect(container.component('hung').state).toBe('failed-activation');
    await container.stop();
  });

  test('the container-wide activation timeout applies when the component sets none', async () => {
    @Component({ name: 'slow' })
    class Slow {
      @Activate activate(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const { container } = testContainer({ activationTimeoutMs: 30 });
    container.register(Slow);
    await container.start();
    expect(container.component('slow').failure?.code).toBe(ErrorCode.ACTIVATION_TIMEOUT);
    await container.stop();
  });

  test('deactivate, bind or unbind throwing -> logged, processing continues, nothing leaks', async () => {
    const log: string[] = [];
    @Component({ name: 'fuel', service: Fuel })
    class FuelComp {
      kind = 'diesel';
      @Deactivate deactivate(): void {
        log.push('fuel deactivated');
      }
    }
    @Component({ name: 'clumsy' })
    class Clumsy {
      @Reference({ service: Fuel, policy: 'dynamic', bind: 'bindFuel', unbind: 'unbindFuel' }) fuel!: { kind: string };
      @Activate activate(): void {
        log.push(`activated with ${this.fuel.kind}`);
      }
      @Deactivate deactivate(): void {
        throw new Error('deactivate blew up');
      }
      bindFuel(): void {
        throw new Error('bind blew up');
      }
      unbindFuel(): void {
        throw new Error('unbind blew up');
      }
    }
    const { container, errors } = testContainer();
    container.register(FuelComp, Clumsy);
    await container.start();
    expect(container.component('clumsy').state).toBe('active');
    expect(log).toEqual(['activated with diesel']);

    await container.disable('clumsy');
    expect(container.component('clumsy').state).toBe('disabled');
    // The delayed fuel component was released despite the throwing unbind: no leaked use.
    expect(container.component('fuel').useCount).toBe(0);
    expect(container.component('fuel').state).toBe('satisfied');
    expect(log).toEqual(['activated with diesel', 'fuel deactivated']);
    const messages = errors().map((e) => e.msg);
    expect(messages.some((m) => m.includes('bind method bindFuel() of clumsy threw: bind blew up'))).toBe(true);
    expect(messages.some((m) => m.includes('unbind method unbindFuel() of clumsy threw: unbind blew up'))).toBe(true);
    expect(messages.some((m) => m.includes('deactivate() of clumsy failed: deactivate blew up'))).toBe(true);
    await container.stop();
  });

  test('a deactivate that hangs is given up on after the deactivation timeout', async () => {
    @Component({ name: 'stuck' })
    class Stuck {
      @Deactivate deactivate(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const { container, errors } = testContainer({ deactivationTimeoutMs: 30 });
    container.register(Stuck);
    await container.start();
    await container.stop();
    expect(container.component('stuck').state).toBe('disabled');
    expect(errors().some((e) => e.msg.includes('did not finish within 30 ms'))).toBe(true);
  });
});
