import { describe, expect, test } from 'vitest';
import { Activate, Component, Reference, serviceToken, type Cardinality, type ComponentClass, type ReferencePolicyOption } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { deferred } from '../helpers/deferred.js';

const T1 = serviceToken<{ name: string }>('test.choices.T1');
const T2 = serviceToken<{ name: string }>('test.choices.T2');

interface Spec {
  name: string;
  provides?: typeof T1;
  immediate?: boolean;
  ranking?: number;
  references?: { service: typeof T1; cardinality: Cardinality; greedy?: boolean }[];
}

/** Components made as plain JavaScript makes them; each remembers its name. */
function make(specs: Spec[]): ComponentClass[] {
  return specs.map((spec) => {
    class Made {
      name = spec.name;
    }
    (spec.references ?? []).forEach((r, i) => {
      const policyOption: ReferencePolicyOption = r.greedy ? 'greedy' : 'reluctant';
      Reference({ service: r.service, cardinality: r.cardinality, policyOption })(Made.prototype, `r${i}`);
    });
    Component({
      name: spec.name,
      ...(spec.provides && { service: spec.provides, immediate: spec.immediate ?? false }),
      properties: { 'service.ranking': spec.ranking ?? 0 },
    })(Made);
    return Made;
  });
}

const bound = (info: { references: readonly { bound: readonly { component?: string; serviceId: number }[] }[] }): string[][] =>
  info.references.map((r) => r.bound.map((b) => b.component ?? 'outside'));

describe('choices in cycles', () => {
  test('a consumer whose best candidate can only come up on the consumer itself binds its next candidate', async () => {
    // n2 needs T2: n0 ranks higher, but n0 needs n2's T1; the outside service is the one that can be had.
    const classes = make([
      { name: 'n0', provides: T2, ranking: 1, references: [{ service: T1, cardinality: '0..1' }, { service: T1, cardinality: '1..1' }] },
      { name: 'n1', references: [{ service: T2, cardinality: '0..1', greedy: true }] },
      { name: 'n2', provides: T1, references: [{ service: T2, cardinality: '1..1' }] },
    ]);
    const { container } = testContainer();
    container.register(...classes);
    await container.start();
    container.registerService(T2, { name: 'outside' });
    await container.settled();
    expect(container.components().map((c) => [c.name, c.state, c.failure?.code])).toEqual([
      ['n0', 'active', undefined],
      ['n1', 'active', undefined],
      ['n2', 'active', undefined],
    ]);
    expect(bound(container.component('n2'))).toEqual([['outside']]);
    // n0's optional reference gave way on n2 (a cycle); its mandatory one to the same service still bound it.
    expect(bound(container.component('n0'))).toEqual([[], ['n2']]);
    expect(bound(container.component('n1'))).toEqual([['n0']]);
    await container.stop();
  });

  test('the waits of consumers with a fallback give way before those of consumers without one: all come up', async () => {
    // Every T1 provider needs a T1 but n0, whose need is optional: each of the others must bind n0.
    const classes = make([
      { name: 'n3' },
      { name: 'n1', provides: T1, immediate: true, references: [{ service: T1, cardinality: '1..1' }] },
      { name: 'n4', provides: T1, references: [{ service: T1, cardinality: '1..1' }] },
      { name: 'n0', provides: T1, references: [{ service: T1, cardinality: '0..1' }] },
      { name: 'n2', provides: T1, references: [{ service: T1, cardinality: '1..1' }] },
    ]);
    const { container } = testContainer();
    container.register(...classes);
    await container.start();
    expect(container.component('n1')).toMatchObject({ state: 'active' });
    expect(bound(container.component('n1'))).toEqual([['n0']]);
    expect(container.components().filter((c) => c.failure)).toEqual([]);
    await container.stop();
  });

  test('delayed components whose mandatory references can only be met by each other are stopped, naming the cycle, and the container settles', async () => {
    const classes = make([
      { name: 'n2', provides: T1, references: [{ service: T1, cardinality: '1..n' }] },
      { name: 'n1', provides: T1, references: [{ service: T1, cardinality: '1..1' }] },
      { name: 'root', provides: T1 },
      { name: 'n0', provides: T1, references: [{ service: T1, cardinality: '1..n' }] },
    ]);
    const { container } = testContainer();
    container.register(...classes);
    await container.start();
    // Asked for while root goes: without root, each of n0, n1, n2 sees the others registered, and none
    // can come up first.
    const asked = container.getService(T1);
    await container.disable('root');
    await asked;
    await container.settled();
    const looped = container.components().filter((c) => c.failure?.code === 'REACTIVATION_LOOP');
    expect(looped).toHaveLength(1);
    expect(looped[0]?.failure?.message).toMatch(/keep changing each other\./);
    expect(looped[0]?.failure?.message).toMatch(/(n[012]) → n[012] → (n[012] → )?\1 keep changing each other/);
    await container.stop();
  });

  test('lost late binding: two components with optional dynamic references to each other end bound both ways, after one is unregistered and registered again', async () => {
    const T0 = serviceToken<{ name: string }>('test.choices.T0');
    class Left {
      name = 'left';
    }
    Reference({ service: T1, cardinality: '0..1', policy: 'dynamic' })(Left.prototype, 'right');
    Component({ name: 'left', service: T0 })(Left);
    class Right {
      name = 'right';
    }
    Reference({ service: T0, cardinality: '0..1', policy: 'dynamic' })(Right.prototype, 'left');
    Component({ name: 'right', service: T1, immediate: true })(Right);
    const { container } = testContainer();
    container.register(Left, Right);
    await container.start();
    expect(bound(container.component('right'))).toEqual([['left']]);
    expect(bound(container.component('left'))).toEqual([['right']]);
    const again = container.unregister('left').then(() => container.register(Left));
    await again;
    await container.settled();
    expect(bound(container.component('right'))).toEqual([['left']]);
    expect(bound(container.component('left'))).toEqual([['right']]);
    await container.stop();
  });

  test('a dynamic reference that holds a service already waits for a better one breakably: a provider whose best candidate is that consumer keeps it', async () => {
    const U = serviceToken<{ name: string }>('test.choices.U');
    const gate = deferred();
    @Component({ name: 'p1', service: T1, immediate: true, properties: { 'service.ranking': 0 } })
    class P1 {
      name = 'p1';
    }
    @Component({ name: 'c', service: U, immediate: true, properties: { 'service.ranking': 10 } })
    class C {
      name = 'c';
      @Reference({ service: T1, policy: 'dynamic', policyOption: 'greedy' }) t!: { name: string };
      @Activate async activate(): Promise<void> {
        await gate.promise;
      }
    }
    @Component({ name: 'p2', service: T1, immediate: true, properties: { 'service.ranking': 5 } })
    class P2 {
      name = 'p2';
      @Reference({ service: U }) u!: { name: string };
    }
    const { container } = testContainer();
    container.registerService(U, { name: 'outside' }, { 'service.ranking': 0 });
    container.register(P1, C);
    const starting = container.start();
    await container.whenState('c', 'activating');
    container.register(P2);
    // p2 waits for c, its best U, which is still activating; then c comes up and wants p2, its best T1.
    await container.whenState('p2', 'activating');
    gate.resolve();
    await starting;
    await container.settled();
    expect(bound(container.component('c'))).toEqual([['p2']]);
    expect(bound(container.component('p2'))).toEqual([['c']]);
    await container.stop();
  });
});
