import { inject } from 'inversify';
import { describe, expect, test } from 'vitest';
import { Activate, Component, Reference, serviceToken, type ComponentContext } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

describe('a component class injected into another with @inject(Class)', () => {
  test('is built with its own references, never the outer component’s (in either order of registration)', async () => {
    for (const order of ['inner first', 'outer first'] as const) {
      const A = serviceToken<{ id: string }>(`test.nested.${order}.A`);
      const B = serviceToken<{ id: string }>(`test.nested.${order}.B`);
      const seen: { inner: unknown[]; outer?: string } = { inner: [] };
      @Component({ name: 'inner', service: serviceToken(`test.nested.${order}.Inner`), immediate: true })
      class Inner {
        constructor(@Reference({ service: B, cardinality: '0..1' }) readonly b: { id: string } | undefined) {
          seen.inner.push(b?.id);
        }
      }
      @Component({ name: 'outer', immediate: true })
      class Outer {
        constructor(
          @Reference({ service: A }) readonly a: { id: string },
          @inject(Inner) readonly inner: Inner,
        ) {
          seen.outer = a.id;
        }
      }
      const { container } = testContainer();
      if (order === 'inner first') container.register(Inner, Outer);
      else container.register(Outer, Inner);
      container.registerService(A, { id: 'A-service' });
      container.registerService(B, { id: 'B-service' });
      await container.start();
      expect(container.component('outer').state).toBe('active');
      expect(seen.outer).toBe('A-service');
      // The managed instance gets B; the one inversify builds for Outer, what Inner is bound to (B, or nothing yet).
      expect(seen.inner).toContain('B-service');
      expect(seen.inner).not.toContain('A-service');
      await container.stop();
    }
  });
});

describe('configuration defaults', () => {
  test('a component without configuration may add to its context.config: each has an object of its own', async () => {
    const seen: unknown[] = [];
    @Component({ name: 'writer-1', immediate: true })
    class Writer1 {
      @Activate activate(context: ComponentContext): void {
        const config = context.config as Record<string, unknown>;
        config.port ??= 8080;
        seen.push(config.port);
      }
    }
    @Component({ name: 'writer-2', immediate: true })
    class Writer2 {
      @Activate activate(context: ComponentContext): void {
        seen.push((context.config as Record<string, unknown>).port);
      }
    }
    const { container } = testContainer();
    container.register(Writer1, Writer2);
    await container.start();
    expect(container.component('writer-1').state).toBe('active');
    expect(seen).toEqual([8080, undefined]);
    await container.stop();
  });

  test('a schema that fills defaults into the values it is given (as Ajv’s useDefaults does) works without a configuration', async () => {
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (value: unknown) => {
          const values = value as Record<string, unknown>;
          values.port ??= 8080;
          return { value: values };
        },
      },
    };
    let seen: unknown;
    @Component({ name: 'fills-in', immediate: true, configSchema: schema })
    class FillsIn {
      @Activate activate(context: ComponentContext): void {
        seen = context.config.port;
      }
    }
    const { container } = testContainer();
    container.register(FillsIn);
    await container.start();
    expect(container.component('fills-in').state).toBe('active');
    expect(seen).toBe(8080);
    await container.stop();
  });
});

describe('a schema that refuses without naming a problem', () => {
  test('{ issues: [] } is a refusal: the component stays unsatisfied and says so', async () => {
    const schema = { '~standard': { version: 1 as const, vendor: 'test', validate: () => ({ issues: [] }) } };
    @Component({ name: 'refused', immediate: true, configSchema: schema })
    class Refused {}
    const { container } = testContainer();
    container.register(Refused);
    await container.start();
    const info = container.component('refused');
    expect(info.state).toBe('unsatisfied-configuration');
    expect(info.configurationProblem).toContain('$: the schema refused the values without saying why');
    await container.stop();
  });
});
