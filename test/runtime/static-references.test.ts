import { describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, Reference, serviceToken, type DeactivationContext } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

interface Store {
  readonly label: string;
}
const StoreService = serviceToken<Store>('test.static.Store');

/** A consumer that records each instance it activates and why each was deactivated. */
function consumerClass(options: { cardinality?: '0..1' | '1..1'; policyOption?: 'reluctant' | 'greedy' }) {
  const record = { instances: [] as object[], bound: [] as (string | undefined)[], reasons: [] as string[] };
  @Component({ name: 'consumer' })
  class Consumer {
    @Reference({ service: StoreService, ...options }) store?: Store;
    @Activate activate(): void {
      record.instances.push(this);
      record.bound.push(this.store?.label);
    }
    @Deactivate deactivate(context: DeactivationContext): void {
      record.reasons.push(context.reason);
    }
  }
  return { Consumer, record };
}

describe('static references', () => {
  test('static 1..1: provider removed -> component deactivated (reference unsatisfied); provider back -> a new instance is active', async () => {
    const { Consumer, record } = consumerClass({});
    const { container } = testContainer();
    container.register(Consumer);
    await container.start();
    expect(container.component('consumer').state).toBe('unsatisfied-reference');

    const first = container.registerService(StoreService, { label: 'one' });
    await container.whenActive('consumer');
    expect(record.bound).toEqual(['one']);

    await first.unregister();
    expect(container.component('consumer').state).toBe('unsatisfied-reference');
    expect(record.reasons).toEqual(['reference-unsatisfied']);

    container.registerService(StoreService, { label: 'two' });
    await container.whenActive('consumer');
    expect(record.instances).toHaveLength(2);
    expect(record.instances[1]).not.toBe(record.instances[0]);
    expect(record.bound).toEqual(['one', 'two']);
    // The dead instance no longer holds the service.
    expect((record.instances[0] as { store?: Store }).store).toBeUndefined();
    await container.stop();
  });

  test('static 1..1 with a second provider: bound one removed -> new instance bound to the other', async () => {
    const { Consumer, record } = consumerClass({});
    const { container } = testContainer();
    container.register(Consumer);
    const one = container.registerService(StoreService, { label: 'one' });
    container.registerService(StoreService, { label: 'two' });
    await container.start();
    expect(record.bound).toEqual(['one']);
    await one.unregister();
    await container.whenActive('consumer');
    expect(record.bound).toEqual(['one', 'two']);
    expect(record.reasons).toEqual(['reference-changed']);
    await container.stop();
  });

  test('static reluctant: a higher-ranked provider appearing changes nothing', async () => {
    const { Consumer, record } = consumerClass({});
    const { container } = testContainer();
    container.register(Consumer);
    container.registerService(StoreService, { label: 'low' }, { 'service.ranking': 1 });
    await container.start();
    container.registerService(StoreService, { label: 'high' }, { 'service.ranking': 10 });
    await container.settled();
    expect(record.instances).toHaveLength(1);
    expect(record.bound).toEqual(['low']);
    await container.stop();
  });

  test('static greedy: a higher-ranked provider appearing -> reactivated with a new instance bound to it', async () => {
    const { Consumer, record } = consumerClass({ policyOption: 'greedy' });
    const { container } = testContainer();
    container.register(Consumer);
    container.registerService(StoreService, { label: 'low' }, { 'service.ranking': 1 });
    await container.start();
    container.registerService(StoreService, { label: 'lower' }, { 'service.ranking': 0 });
    await container.settled();
    expect(record.instances).toHaveLength(1);
    container.registerService(StoreService, { label: 'high' }, { 'service.ranking': 10 });
    await container.settled();
    expect(record.instances).toHaveLength(2);
    expect(record.bound).toEqual(['low', 'high']);
    expect(record.reasons).toEqual(['reference-changed']);
    expect(container.component('consumer').state).toBe('active');
    await container.stop();
  });

  test('optional static reluctant reference that starts empty stays empty when a provider appears', async () => {
    const { Consumer, record } = consumerClass({ cardinality: '0..1' });
    const { container } = testContainer();
    container.register(Consumer);
    await container.start();
    expect(container.component('consumer').state).toBe('active');
    expect(record.bound).toEqual([undefined]);
    container.registerService(StoreService, { label: 'late' });
    await container.settled();
    expect(record.instances).toHaveLength(1);
    expect(record.bound).toEqual([undefined]);
    expect(container.component('consumer').references[0]?.bound).toEqual([]);
    await container.stop();
  });

  test('optional static greedy reference that starts empty gets a new instance when a provider appears', async () => {
    const { Consumer, record } = consumerClass({ cardinality: '0..1', policyOption: 'greedy' });
    const { container } = testContainer();
    container.register(Consumer);
    await container.start();
    container.registerService(StoreService, { label: 'late' });
    await container.settled();
    expect(record.bound).toEqual([undefined, 'late']);
    await container.stop();
  });
});
