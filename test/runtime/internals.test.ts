import { describe, expect, test } from 'vitest';
import type { ServiceUser } from '../../src/runtime/ServiceRecord.js';
import { UseCounter } from '../../src/runtime/UseCounter.js';

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
