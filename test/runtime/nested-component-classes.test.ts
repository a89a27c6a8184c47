import { describe, expect, test } from 'vitest';
import { inject, injectable, Container as InversifyContainer } from 'inversify';
import { Activate, Component, Reference, serviceToken } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

function classes(tag: string, seen: { inner: unknown[]; outer: unknown[]; outer2: unknown[] }) {
  const A = serviceToken<{ id: string }>(`test.nested-classes.${tag}.A`);
  const B = serviceToken<{ id: string }>(`test.nested-classes.${tag}.B`);
  @Component({ name: 'inner', service: serviceToken(`test.nested-classes.${tag}.Inner`), immediate: true })
  class Inner {
    constructor(@Reference({ service: B, cardinality: '0..1' }) readonly b: { id: string } | undefined) {
      seen.inner.push(b?.id);
    }
  }
  @Component({ name: 'outer', immediate: true })
  class Outer {
    constructor(@Reference({ service: A }) readonly a: { id: string }, @inject(Inner) readonly inner: Inner) {
      seen.outer.push(inner.b?.id);
    }
  }
  @Component({ name: 'outer2', immediate: true })
  class Outer2 {
    constructor(@Reference({ service: A }) readonly a: { id: string }, @inject(Inner) readonly inner: Inner) {
      seen.outer2.push(inner.b?.id);
    }
  }
  return { A, B, Inner, Outer, Outer2 };
}

/** A started container with Inner and Outer (and Outer2 with `two`) registered, and A and B provided. */
async function started(tag: string, two = false) {
  const seen = { inner: [] as unknown[], outer: [] as unknown[], outer2: [] as unknown[] };
  const made = classes(tag, seen);
  const { container } = testContainer();
  if (two) container.register(made.Outer, made.Inner, made.Outer2);
  else container.register(made.Inner, made.Outer);
  container.registerService(made.A, { id: 'A' });
  container.registerService(made.B, { id: 'B' });
  await container.start();
  return { ...made, seen, container };
}

describe('InstanceFactory: nested component classes', () => {
  test('a factory class injected into another is built by a live instance of it, after the newest was disposed', async () => {
    const B = serviceToken<{ id: string }>('test.nested-classes.factory.B');
    const seen: unknown[] = [];
    @Component({ name: 'inner', factoryPid: 'inner' })
    class Inner {
      constructor(@Reference({ service: B }) readonly b: { id: string }) {}
    }
    @Component({ name: 'outer' })
    class Outer {
      constructor(@inject(Inner) readonly inner: Inner) {
        seen.push(inner.b.id);
      }
    }
    const { container } = testContainer();
    container.register(Inner, Outer);
    container.registerService(B, { id: 'B1' }, { id: 'B1' });
    container.registerService(B, { id: 'B2' }, { id: 'B2' });
    await container.start();
    await container.config.update('inner~a', { 'constructor[0].target': '(id=B1)' });
    await container.config.update('inner~b', { 'constructor[0].target': '(id=B2)' });
    await container.whenActive('inner~b');
    await container.restart('outer');
    expect(seen.at(-1)).toBe('B2');
    await container.config.delete('inner~b');
    await container.settled();
    await container.restart('outer');
    expect(seen.at(-1)).toBe('B1');
    await container.stop();
  });

  test('injected by two component classes: each nested Inner gets Inner’s own B', async () => {
    const { seen, container } = await started('two', true);
    expect(container.components().map((c) => `${c.name}:${c.state}`).sort()).toEqual(['inner:active', 'outer2:active', 'outer:active']);
    expect(seen.inner).not.toContain('A');
    await container.restart('outer');
    await container.restart('outer2');
    expect(seen.outer.at(-1)).toBe('B');
    expect(seen.outer2.at(-1)).toBe('B');
    await container.stop();
  });

  for (const order of ['outer', 'inner'] as const) {
    test(`unregister ${order} then register it again (awaited): nested Inner still built as Inner`, async () => {
      const { seen, container, Inner, Outer } = await started(`re-${order}`);
      await container.unregister(order);
      if (order === 'outer') {
        expect(container.component('inner').state).toBe('active');
        await container.restart('inner');
        expect(container.component('inner').state).toBe('active');
      }
      container.register(order === 'outer' ? Outer : Inner);
      await container.settled();
      await container.restart('outer');
      expect(container.component('outer').state).toBe('active');
      expect(container.component('inner').state).toBe('active');
      expect(seen.inner).not.toContain('A');
      expect(seen.outer.at(-1)).toBe('B');
      await container.stop();
    });
  }

  for (const which of ['inner', 'outer'] as const) {
    test(`${which} registered again while its old registration is still leaving (unregister not awaited): the nested Inner never gets Outer’s A`, async () => {
      const { seen, container, Inner, Outer } = await started(`overlap-${which}`);
      const gone = container.unregister(which);
      container.register(which === 'inner' ? Inner : Outer);
      await gone;
      await container.settled();
      expect(container.component(which).state).toBe('active');
      await container.restart('outer');
      const outer = container.component('outer');
      expect(outer.failure?.message).toBeUndefined();
      expect(outer.state).toBe('active');
      // The Inner built for Outer is built as Inner (its own B), not with Outer’s parameter 0 (A).
      expect(seen.inner).not.toContain('A');
      expect(seen.outer.at(-1)).toBe('B');
      await container.stop();
    });
  }
});

describe('InstanceFactory: user injector with async values and @Reference parameters (getAsync)', () => {
  test('async parent binding before and after a @Reference parameter', async () => {
    const CONFIG = Symbol('r2.config');
    const CLOCK = Symbol('r2.clock');
    const parent = new InversifyContainer();
    parent.bind(CONFIG).toDynamicValue(async () => { await new Promise((r) => setTimeout(r, 5)); return { port: 1 }; });
    parent.bind(CLOCK).toDynamicValue(async () => { await Promise.resolve(); return 'clock'; });
    const Fuel = serviceToken<{ kind: string }>('test.nested-classes.async.Fuel');
    const Oil = serviceToken<{ kind: string }>('test.nested-classes.async.Oil');
    const seen: unknown[] = [];
    @Component({ name: 'mixed', immediate: true })
    class Mixed {
      constructor(
        @inject(CONFIG) readonly config: { port: number },
        @Reference({ service: Fuel }) readonly fuel: { kind: string },
        @inject(CLOCK) readonly clock: string,
        @Reference({ service: Oil }) readonly oil: { kind: string },
      ) {
        seen.push([config.port, fuel.kind, clock, oil.kind]);
      }
    }
    // another component built concurrently, with other references at the same parameter indexes
    @Component({ name: 'other', immediate: true })
    class Other {
      constructor(
        @inject(CONFIG) readonly config: { port: number },
        @Reference({ service: Oil }) readonly oil: { kind: string },
        @inject(CLOCK) readonly clock: string,
        @Reference({ service: Fuel }) readonly fuel: { kind: string },
      ) {
        seen.push(['other', config.port, oil.kind, clock, fuel.kind]);
      }
    }
    const { container } = testContainer({ injector: parent });
    container.register(Mixed, Other);
    container.registerService(Fuel, { kind: 'diesel' });
    container.registerService(Oil, { kind: 'olive' });
    await container.start();
    expect(container.component('mixed').failure?.message).toBeUndefined();
    expect(container.component('other').failure?.message).toBeUndefined();
    expect(seen).toContainEqual([1, 'diesel', 'clock', 'olive']);
    expect(seen).toContainEqual(['other', 1, 'olive', 'clock', 'diesel']);
    await container.stop();
  });

  test('a user-bound class (async dep) that is not a component, injected next to @Reference', async () => {
    const DB = Symbol('r2.db');
    @injectable()
    class Repo {
      constructor(@inject(DB) readonly db: string) {}
    }
    const parent = new InversifyContainer();
    parent.bind(DB).toDynamicValue(async () => { await new Promise((r) => setTimeout(r, 2)); return 'db'; });
    parent.bind(Repo).toSelf();
    const Fuel = serviceToken<{ kind: string }>('test.nested-classes.async2.Fuel');
    const seen: unknown[] = [];
    @Component({ name: 'uses-repo', immediate: true })
    class UsesRepo {
      constructor(@inject(Repo) readonly repo: Repo, @Reference({ service: Fuel }) readonly fuel: { kind: string }) {
        seen.push([repo.db, fuel.kind]);
      }
      @Activate activate(): void {}
    }
    const { container } = testContainer({ injector: parent });
    container.register(UsesRepo);
    container.registerService(Fuel, { kind: 'diesel' });
    await container.start();
    expect(container.component('uses-repo').failure?.message).toBeUndefined();
    expect(seen).toEqual([['db', 'diesel']]);
    await container.stop();
  });
});
