import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Activate, Component, ErrorCode, LatticeError, Modified, Reference, serviceToken, type ComponentContext } from '@lattice-scr/lattice';
import { startTestContainer } from '@lattice-scr/lattice/testing';

interface Clock {
  now(): string;
}
interface Greeter {
  greet(name: string): string;
}
const ClockService = serviceToken<Clock>('test.testing.Clock');
const GreeterService = serviceToken<Greeter>('test.testing.Greeter');

@Component({ name: 'fixed-clock', service: ClockService })
class FixedClock implements Clock {
  now(): string {
    return '12:00';
  }
}

@Component({ name: 'greeter', service: GreeterService, configSchema: z.object({ greeting: z.string().default('Hello') }) })
class GreeterImpl implements Greeter {
  @Reference({ service: ClockService }) clock!: Clock;
  private greeting = '';
  @Activate activate(context: ComponentContext): void {
    this.greeting = (context.config as { greeting: string }).greeting;
  }
  @Modified modified(config: { greeting: string }): void {
    this.greeting = config.greeting;
  }
  greet(name: string): string {
    return `${this.greeting}, ${name} (${this.clock.now()})`;
  }
}

describe('startTestContainer: a container for a test, from the package', () => {
  test('starts the classes with their configurations, waits until they are ready, gives services, reconfigures, stops', async () => {
    const t = await startTestContainer([FixedClock, GreeterImpl], { config: { greeter: { greeting: 'Hi', tone: 'warm' } } });
    try {
      const greeter = await t.service(GreeterService);
      expect(greeter.greet('Ada')).toBe('Hi, Ada (12:00)');
      // Some keys set, the others kept, as config set does.
      await t.configure('greeter', { greeting: 'Bonjour' });
      expect(greeter.greet('Ada')).toBe('Bonjour, Ada (12:00)');
      expect(t.container.config.get('greeter')?.values).toEqual({ greeting: 'Bonjour', tone: 'warm' });
    } finally {
      await t.stop();
    }
    expect(t.container.running).toBe(false);
  });

  test('a component that cannot come up: WAIT_TIMEOUT saying why, and the container is stopped', async () => {
    const error = await startTestContainer([GreeterImpl], { timeoutMs: 200 }).then(() => undefined, (e: unknown) => e);
    expect(LatticeError.is(error, ErrorCode.WAIT_TIMEOUT)).toBe(true);
    expect((error as Error).message).toBe(
      'Component greeter did not become active or satisfied within 200 ms: Reference "clock" (1..1 test.testing.Clock) has no service: nothing provides test.testing.Clock. Register a component that provides test.testing.Clock.',
    );
  });

  test('a service nobody provides: SERVICE_NOT_FOUND', async () => {
    const t = await startTestContainer([FixedClock]);
    try {
      const error = await t.service(GreeterService).then(() => undefined, (e: unknown) => e);
      expect(LatticeError.is(error, ErrorCode.SERVICE_NOT_FOUND)).toBe(true);
    } finally {
      await t.stop();
    }
  });
});
