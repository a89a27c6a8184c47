import { describe, expect, test } from 'vitest';
import { Activate, Component, Deactivate, Modified, Reference, serviceToken, type ComponentContext } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';

const Clock = serviceToken<{ now(): number }>('test.order.Clock');
const Greeter = serviceToken<{ greet(): string }>('test.order.Greeter');

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

type Step = 'component' | 'field' | 'parameter' | 'activate' | 'deactivate' | 'modified';

/** A class written as plain JavaScript would write it: no decorator syntax, decorators called as functions. */
function plainClass(log: string[]) {
  class Plain {
    clock: { now(): number } | undefined;
    constructor(readonly greeter: { greet(): string }) {}
    start(context: ComponentContext): void {
      log.push(`activate: ${this.greeter.greet()} at ${String(this.clock?.now())}, ${String(context.properties.mood)}`);
    }
    stop(): void {
      log.push('deactivate');
    }
    reconfigure(config: Record<string, unknown>): void {
      log.push(`modified: ${String(config.mood)}`);
    }
    bindClock(): void {
      log.push('bind clock');
    }
  }
  const steps: Record<Step, () => void> = {
    component: () => {
      Component({ name: 'plain', properties: { mood: 'calm' } })(Plain);
    },
    field: () => {
      Reference({ service: Clock, bind: 'bindClock' })(Plain.prototype, 'clock');
    },
    parameter: () => {
      Reference({ service: Greeter })(Plain, undefined, 0);
    },
    activate: () => {
      Activate(Plain.prototype, 'start');
    },
    deactivate: () => {
      Deactivate(Plain.prototype, 'stop');
    },
    modified: () => {
      Modified(Plain.prototype, 'reconfigure');
    },
  };
  return { Plain, steps };
}

describe('decorators applied as functions, in any order', () => {
  const orders = permutations<Step>(['component', 'field', 'parameter', 'activate', 'deactivate', 'modified']);
  test(`all ${orders.length} orders give the same component: references bound, lifecycle methods called`, async () => {
    for (const order of orders) {
      const log: string[] = [];
      const { Plain, steps } = plainClass(log);
      for (const step of order) steps[step]();
      const { container } = testContainer();
      container.registerService(Clock, { now: () => 42 });
      container.registerService(Greeter, { greet: () => 'hello' });
      container.register(Plain);
      await container.start();
      const info = container.component('plain');
      expect({ order, state: info.state, references: info.references.map((r) => [r.name, r.bound.length]) }).toEqual({
        order,
        state: 'active',
        references: [
          ['constructor[0]', 1],
          ['clock', 1],
        ],
      });
      await container.config.update('plain', { mood: 'sunny' });
      await container.settled();
      await container.stop();
      expect({ order, log }).toEqual({ order, log: ['bind clock', 'activate: hello at 42, calm', 'modified: sunny', 'deactivate'] });
    }
  });

  test('a reference added after register is not part of the component registered before it', async () => {
    const log: string[] = [];
    const { Plain, steps } = plainClass(log);
    steps.component();
    steps.parameter();
    steps.activate();
    const { container } = testContainer();
    container.registerService(Greeter, { greet: () => 'hi' });
    container.register(Plain);
    steps.field();
    await container.start();
    expect(container.component('plain').references.map((r) => r.name)).toEqual(['constructor[0]']);
    expect(log).toEqual(['activate: hi at undefined, calm']);
    await container.stop();
  });

  test('a bind method that does not exist is reported at register, whatever the order', () => {
    class Late {}
    Component({ name: 'late' })(Late);
    Reference({ service: Clock, bind: 'missing' })(Late.prototype, 'clock');
    const { container } = testContainer();
    expect(() => container.register(Late)).toThrow('@Reference Late.clock names bind method "missing", but Late has no such method. Add it or fix the name.');
    expect(container.components()).toEqual([]);
  });
});
