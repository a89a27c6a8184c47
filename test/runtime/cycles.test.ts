import { describe, expect, test } from 'vitest';
import { Activate, Component, Reference, serviceToken } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

const AService = serviceToken<{ name: string }>('test.cycles.A');
const BService = serviceToken<{ name: string }>('test.cycles.B');

describe('cycles', () => {
  test('1..1 <-> 1..1: both unsatisfied, and the diagnostic names the cycle', async () => {
    @Component({ name: 'alpha', service: AService, immediate: true })
    class Alpha {
      @Reference({ service: BService }) b!: unknown;
    }
    @Component({ name: 'beta', service: BService, immediate: true })
    class Beta {
      @Reference({ service: AService }) a!: unknown;
    }
    const { container } = testContainer();
    container.register(Alpha, Beta);
    await container.start();
    for (const name of ['alpha', 'beta']) {
      const info = container.component(name);
      expect(info.state).toBe('unsatisfied-reference');
      expect(info.why.join(' ')).toMatch(/alpha → beta → alpha|beta → alpha → beta/);
      expect(info.why.join(' ')).toContain('cycle of mandatory references');
    }
    await container.stop();
  });

  test.each([
    ['mandatory side registered first', 'first'],
    ['optional side registered first', 'second'],
  ])('1..1 -> 0..n -> back (%s): both active, the optional side bound late', async (_label, order) => {
    const bound: string[] = [];
    @Component({ name: 'needy', service: AService, immediate: true })
    class Needy {
      name = 'needy';
      @Reference({ service: BService }) b!: { name: string };
      @Activate activate(): void {
        bound.push(`needy has ${this.b.name}`);
      }
    }
    @Component({ name: 'relaxed', service: BService, immediate: true })
    class Relaxed {
      name = 'relaxed';
      @Reference({ service: AService, cardinality: '0..n', policy: 'dynamic', bind: 'add' }) as!: { name: string }[];
      add(a: { name: string }): void {
        bound.push(`relaxed got ${a.name}`);
      }
    }
    const { container } = testContainer();
    if (order === 'first') container.register(Needy, Relaxed);
    else container.register(Relaxed, Needy);
    await container.start();
    expect(container.component('needy').state).toBe('active');
    expect(container.component('relaxed').state).toBe('active');
    expect(bound).toEqual(['needy has relaxed', 'relaxed got needy']);
    expect(container.component('relaxed').references[0]?.bound).toHaveLength(1);
    await container.stop();
    expect(container.components().map((c) => c.state)).toEqual(['disabled', 'disabled']);
  });

  test('the cycle is also broken when both are delayed and activated on demand', async () => {
    @Component({ name: 'left', service: AService })
    class Left {
      name = 'left';
      @Reference({ service: BService }) b!: { name: string };
    }
    @Component({ name: 'right', service: BService })
    class Right {
      name = 'right';
      @Reference({ service: AService, cardinality: '0..1', policy: 'dynamic' }) a?: { name: string };
    }
    const { container } = testContainer();
    container.register(Left, Right);
    await container.start();
    const left = await container.getService(AService);
    expect(left?.name).toBe('left');
    await container.settled();
    expect(container.component('left').state).toBe('active');
    expect(container.component('right').state).toBe('active');
    expect(container.component('right').references[0]?.bound.map((b) => b.component)).toEqual(['left']);
    await container.stop();
  });
});
