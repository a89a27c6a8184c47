import { describe, expect, test } from 'vitest';
import { ConfigAdmin } from '../../src/config/ConfigAdmin.js';
import { serviceToken } from '../../src/component/ServiceToken.js';
import type { ServiceProvider, ServiceUser } from '../../src/runtime/ServiceRecord.js';
import { ServiceRegistry, type ServiceListener } from '../../src/runtime/ServiceRegistry.js';
import { silentLogger } from '../helpers/logs.js';
import { UseCounter } from '../../src/runtime/UseCounter.js';
import { CANCELLED, WaitGraph } from '../../src/runtime/WaitGraph.js';

const user = (userName: string): ServiceUser => ({ userName });

describe('UseCounter', () => {
  test('counts uses per user and lists users in the order they came', () => {
    const counter = new UseCounter();
    const [a, b, c] = [user('a'), user('b'), user('c')];
    expect(counter.size).toBe(0);
    expect(counter.remove(a)).toBe(false);
    counter.add(a);
    counter.add(a);
    expect(counter.users()).toEqual([a]);
    expect(counter.remove(b)).toBe(false);
    counter.add(b);
    counter.add(c);
    expect(counter.users()).toEqual([a, b, c]);
    expect(counter.remove(a)).toBe(true);
    expect(counter.users()).toEqual([a, b, c]);
    expect(counter.remove(a)).toBe(true);
    expect(counter.remove(a)).toBe(false);
    counter.add(a);
    expect(counter.users()).toEqual([b, c, a]);
    expect(counter.size).toBe(3);
    counter.clear();
    expect(counter.size).toBe(0);
    expect(counter.users()).toEqual([]);
  });

  test('one user taken twice, given back twice', () => {
    const counter = new UseCounter();
    const a = user('a');
    counter.add(a);
    counter.add(a);
    expect(counter.remove(a)).toBe(true);
    expect(counter.size).toBe(1);
    expect(counter.remove(a)).toBe(true);
    expect(counter.size).toBe(0);
    expect(counter.remove(a)).toBe(false);
  });
});

describe('listeners added or removed while an event is told', () => {
  test('registry: a listener removed during an event still hears it, one added does not; both hear the next', () => {
    const registry = new ServiceRegistry();
    const T = serviceToken('test.internals.T');
    const heard: string[] = [];
    const provider: ServiceProvider = { componentName: undefined, getService: () => Promise.resolve(undefined), ungetService: () => undefined };
    const late: ServiceListener = { serviceChanged: (e) => heard.push(`late ${e.type}`) };
    const second: ServiceListener = { serviceChanged: (e) => heard.push(`second ${e.type}`) };
    const first: ServiceListener = {
      serviceChanged: (e) => {
        heard.push(`first ${e.type}`);
        registry.removeListener(T, second);
        registry.addListener(T, late);
      },
    };
    registry.addListener(T, first);
    registry.addListener(T, second);
    registry.addListener(T, second);
    const record = registry.register([T], provider, {});
    expect(heard).toEqual(['first registered', 'second registered']);
    expect(registry.find(T)).toEqual([record]);
    expect(record.properties.objectClass).toEqual(['test.internals.T']);
    heard.length = 0;
    registry.unregister(record);
    expect(heard).toEqual(['first unregistering', 'late unregistering']);
    expect(registry.find(T)).toEqual([]);
  });

  test('config admin: the same', () => {
    const admin = new ConfigAdmin({ logger: silentLogger(), env: {} });
    const heard: string[] = [];
    const second = (): void => {
      heard.push('second');
    };
    const late = (): void => {
      heard.push('late');
    };
    let unsubscribeSecond = (): void => undefined;
    let unsubscribeLate = (): void => undefined;
    admin.subscribe('p', () => {
      heard.push('first');
      unsubscribeSecond();
      unsubscribeLate = admin.subscribe('p', late);
    });
    unsubscribeSecond = admin.subscribe('p', second);
    admin.set('p', { a: 1 });
    expect(heard).toEqual(['first', 'second']);
    heard.length = 0;
    admin.set('p', { a: 2 });
    expect(heard).toEqual(['first', 'late']);
    heard.length = 0;
    unsubscribeLate();
    unsubscribeLate();
    admin.set('p', { a: 3 });
    expect(heard).toEqual(['first']);
  });
});

describe('ServiceRegistry properties', () => {
  test('copied as a spread would: own enumerable keys in order, "__proto__" as a key, plus the standard ones, frozen', () => {
    const registry = new ServiceRegistry();
    const T = serviceToken('test.internals.props');
    const provider: ServiceProvider = { componentName: undefined, getService: () => Promise.resolve(undefined), ungetService: () => undefined };
    const S = Symbol('s');
    const given = JSON.parse('{"b": 1, "__proto__": {"x": 1}, "2": "two", "a": [1]}') as Record<string | symbol, unknown>;
    given[S] = 's';
    Object.defineProperty(given, 'hidden', { value: 1, enumerable: false });
    const { properties } = registry.register([T], provider, given);
    const expected = { ...given, 'service.id': 1, objectClass: ['test.internals.props'] };
    expect(Reflect.ownKeys(properties)).toEqual(Reflect.ownKeys(expected));
    expect(properties).toEqual(expected);
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
    expect(Object.isFrozen(properties)).toBe(true);
  });
});

describe('WaitGraph', () => {
  test('waiting for oneself is a cycle; waiting for one who waits for nobody is not', async () => {
    const graph = new WaitGraph<string>((s) => s);
    const never = new Promise<number>(() => undefined);
    expect(await graph.wait('A', 'A', 'breakable', never)).toBe(CANCELLED);
    expect(await graph.wait('A', 'A', 'fallback', never)).toBe(CANCELLED);
    expect(() => graph.wait('A', 'A', 'mandatory', never)).toThrow(/Circular activation: A → A/);
    expect(await graph.wait('A', 'B', 'mandatory', Promise.resolve(7))).toBe(7);
    await expect(graph.wait('A', 'B', 'mandatory', Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(graph.waitingFor('A')).toEqual([]);
    void graph.wait('A', 'B', 'mandatory', never);
    void graph.wait('A', 'C', 'mandatory', never);
    expect(graph.waitingFor('A')).toEqual(['B', 'C']);
    expect(await graph.wait('B', 'A', 'breakable', never)).toBe(CANCELLED);
  });
});
