import { describe, expect, test } from 'vitest';
import { Activate, Component, Reference, serviceToken, type ServiceProperties } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

interface Sink {
  readonly label: string;
}
const SinkService = serviceToken<Sink>('test.dynamic.Sink');

function singleConsumer(policyOption: 'reluctant' | 'greedy' = 'reluctant') {
  const record = { instances: 0, calls: [] as string[] };
  @Component({ name: 'consumer' })
  class Consumer {
    @Reference({ service: SinkService, policy: 'dynamic', policyOption, bind: 'bindSink', unbind: 'unbindSink' }) sink!: Sink;
    @Activate activate(): void {
      record.instances++;
    }
    bindSink(sink: Sink): void {
      record.calls.push(`bind ${sink.label} (field ${this.sink.label})`);
    }
    unbindSink(sink: Sink): void {
      record.calls.push(`unbind ${sink.label} (field ${this.sink.label})`);
    }
  }
  return { Consumer, record };
}

describe('dynamic references', () => {
  test('dynamic 1..1 with two providers: bound one removed -> rebinds on the same instance, bind before unbind', async () => {
    const { Consumer, record } = singleConsumer();
    const { container } = testContainer();
    container.register(Consumer);
    const one = container.registerService(SinkService, { label: 'one' }, { 'service.ranking': 5 });
    const two = container.registerService(SinkService, { label: 'two' });
    await container.start();
    // At activation the field is set first, then the bind methods run.
    expect(record.calls).toEqual(['bind one (field one)']);
    await one.unregister();
    expect(record.instances).toBe(1);
    // bind(two) sees the old field value: the new service is bound before the old one is unbound.
    expect(record.calls).toEqual(['bind one (field one)', 'bind two (field one)', 'unbind one (field two)']);
    expect(container.component('consumer').references[0]?.bound.map((b) => b.serviceId)).toEqual([two.id]);
    await container.stop();
  });

  test('dynamic reluctant: a higher-ranked provider appears -> no rebind', async () => {
    const { Consumer, record } = singleConsumer('reluctant');
    const { container } = testContainer();
    container.register(Consumer);
    container.registerService(SinkService, { label: 'low' });
    await container.start();
    container.registerService(SinkService, { label: 'high' }, { 'service.ranking': 100 });
    await container.settled();
    expect(record.calls).toEqual(['bind low (field low)']);
    await container.stop();
  });

  test('dynamic greedy: a higher-ranked provider appears -> rebind on the same instance', async () => {
    const { Consumer, record } = singleConsumer('greedy');
    const { container } = testContainer();
    container.register(Consumer);
    container.registerService(SinkService, { label: 'low' });
    await container.start();
    container.registerService(SinkService, { label: 'lower' }, { 'service.ranking': -1 });
    await container.settled();
    expect(record.calls).toEqual(['bind low (field low)']);
    container.registerService(SinkService, { label: 'high' }, { 'service.ranking': 100 });
    await container.settled();
    expect(record.instances).toBe(1);
    expect(record.calls).toEqual(['bind low (field low)', 'bind high (field low)', 'unbind low (field high)']);
    await container.stop();
  });

  test.each(['0..n', '1..n'] as const)('%s dynamic: bind/unbind callbacks as providers come and go', async (cardinality) => {
    const calls: string[] = [];
    let fieldSeen: string[] = [];
    let instances = 0;
    @Component({ name: 'collector' })
    class Collector {
      @Reference({ service: SinkService, cardinality, policy: 'dynamic', bind: 'add', unbind: 'remove' }) sinks!: Sink[];
      @Activate activate(): void {
        instances++;
      }
      add(sink: Sink, properties: ServiceProperties): void {
        calls.push(`+${sink.label}#${String(properties['service.id'])}`);
      }
      remove(sink: Sink): void {
        calls.push(`-${sink.label}`);
        fieldSeen = this.sinks.map((s) => s.label);
      }
    }
    const { container } = testContainer();
    container.register(Collector);
    await container.start();
    expect(container.component('collector').state).toBe(cardinality === '0..n' ? 'active' : 'unsatisfied-reference');

    const a = container.registerService(SinkService, { label: 'a' });
    await container.whenActive('collector');
    const b = container.registerService(SinkService, { label: 'b' }, { 'service.ranking': 3 });
    await container.settled();
    expect(container.component('collector').references[0]?.bound.map((s) => s.serviceId)).toEqual([b.id, a.id]);

    await a.unregister();
    expect(fieldSeen).toEqual(['b']);
    expect(container.component('collector').state).toBe('active');
    await b.unregister();
    expect(calls).toEqual([`+a#${a.id}`, `+b#${b.id}`, '-a', '-b']);
    expect(instances).toBe(1);
    // At zero, 1..n is unsatisfied (and deactivated); 0..n stays active with an empty list.
    expect(container.component('collector').state).toBe(cardinality === '0..n' ? 'active' : 'unsatisfied-reference');
    await container.stop();
  });
});
