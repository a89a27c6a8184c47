import { describe, expect, test } from 'vitest';
import { Component, Reference, serviceToken } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

const Named = serviceToken<{ name: string }>('test.ranking.Named');

describe('ranking', () => {
  test('highest service.ranking wins; a tie goes to the lowest service.id', async () => {
    @Component({ name: 'single' })
    class Single {
      @Reference({ service: Named }) named!: { name: string };
    }
    @Component({ name: 'all' })
    class All {
      @Reference({ service: Named, cardinality: '0..n' }) named!: { name: string }[];
    }
    const { container } = testContainer();
    container.register(Single, All);
    const first = container.registerService(Named, { name: 'first, rank 5' }, { 'service.ranking': 5 });
    const second = container.registerService(Named, { name: 'second, rank 5' }, { 'service.ranking': 5 });
    const low = container.registerService(Named, { name: 'rank 1' }, { 'service.ranking': 1 });
    const none = container.registerService(Named, { name: 'no ranking' });
    const notInteger = container.registerService(Named, { name: 'ranking 9.5 counts as 0' }, { 'service.ranking': 9.5 });
    await container.start();
    expect(container.component('single').references[0]?.bound.map((b) => b.serviceId)).toEqual([first.id]);
    expect(container.component('all').references[0]?.bound.map((b) => b.serviceId)).toEqual([first.id, second.id, low.id, none.id, notInteger.id]);
    expect(await container.getService(Named)).toEqual({ name: 'first, rank 5' });
    await container.stop();
  });

  test('getService with a filter picks the best matching service', async () => {
    const { container } = testContainer();
    container.registerService(Named, { name: 'eu' }, { zone: 'eu', 'service.ranking': 1 });
    container.registerService(Named, { name: 'us' }, { zone: 'us', 'service.ranking': 2 });
    await container.start();
    expect(await container.getService(Named, '(zone=eu)')).toEqual({ name: 'eu' });
    expect(await container.getServices(Named)).toEqual([{ name: 'us' }, { name: 'eu' }]);
    expect(await container.getService(Named, '(zone=asia)')).toBeUndefined();
    await container.stop();
  });
});
