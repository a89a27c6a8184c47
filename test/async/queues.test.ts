import { describe, expect, test } from 'vitest';
import { KeyedQueue } from '../../src/async/KeyedQueue.js';
import { SerialQueue } from '../../src/async/SerialQueue.js';
import { Listeners } from '../../src/collections/Listeners.js';

/** A promise and the functions that settle it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the queues of src/async', () => {
  test('SerialQueue: one at a time, in call order; a failure goes to its caller and the next runs; drained waits for all', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const gate = deferred();
    const first = queue.run(async () => {
      log.push('first starts');
      await gate.promise;
      log.push('first ends');
      return 1;
    });
    const failing = queue.run(() => {
      log.push('second');
      throw new Error('no');
    });
    const third = queue.run(() => {
      log.push('third');
      return 3;
    });
    expect(queue.size).toBe(3);
    await Promise.resolve();
    expect(log).toEqual(['first starts']);
    gate.resolve();
    await expect(first).resolves.toBe(1);
    await expect(failing).rejects.toThrow('no');
    await expect(third).resolves.toBe(3);
    await queue.drained();
    expect(log).toEqual(['first starts', 'first ends', 'second', 'third']);
    expect(queue.size).toBe(0);
  });

  test('KeyedQueue: one at a time per key, keys side by side; drained waits for every key', async () => {
    const queue = new KeyedQueue<string>();
    const log: string[] = [];
    const gate = deferred();
    void queue.run('a', async () => {
      await gate.promise;
      log.push('a1');
    });
    void queue.run('a', () => log.push('a2'));
    const b = queue.run('b', () => log.push('b1'));
    await b;
    expect(log).toEqual(['b1']);
    const drained = queue.drained();
    gate.resolve();
    await drained;
    expect(log).toEqual(['b1', 'a1', 'a2']);
  });
});

describe('Listeners', () => {
  test('each event goes to the listeners there were when it began; one that throws is reported, and the others still hear it', () => {
    const errors: unknown[] = [];
    const listeners = new Listeners<[number]>((error) => errors.push(error));
    const heard: string[] = [];
    const late = (n: number): void => {
      heard.push(`late ${n}`);
    };
    listeners.add(() => {
      throw new Error('listener broke');
    });
    const stop = listeners.add((n) => {
      heard.push(`second ${n}`);
      // Added during an event: hears the next one.
      listeners.add(late);
    });
    listeners.emit(1);
    expect(heard).toEqual(['second 1']);
    expect(errors).toEqual([new Error('listener broke')]);
    stop();
    listeners.emit(2);
    expect(heard).toEqual(['second 1', 'late 2']);
    expect(listeners.size).toBe(2);
  });

  test('a listener that is an async function and rejects is reported too, and leaves no rejection unhandled', async () => {
    const errors: unknown[] = [];
    const listeners = new Listeners<[number]>((error) => errors.push(error));
    let heard = 0;
    listeners.add(async () => {
      await Promise.resolve();
      throw new Error('async listener broke');
    });
    listeners.add(() => {
      heard++;
    });
    listeners.emit(1);
    expect(heard).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([new Error('async listener broke')]);
  });
});
