import { describe, expect, test } from 'vitest';
import { CoalescingQueue } from '../../src/async/CoalescingQueue.js';
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

  test('CoalescingQueue: requests made before the next run starts share it; one made while it runs gets another', async () => {
    let runs = 0;
    const gate = deferred();
    const queue = new CoalescingQueue(async () => {
      runs++;
      if (runs === 1) await gate.promise;
    });
    const first = queue.request();
    // The first run has not started yet (it starts on a microtask): these share it.
    expect(queue.request()).toBe(first);
    expect(queue.pending).toBe(first);
    await Promise.resolve();
    await Promise.resolve();
    expect(runs).toBe(1);
    expect(queue.pending).toBeUndefined();
    // Asked while the first runs: a second run, shared by every request until it starts.
    const second = queue.request();
    expect(second).not.toBe(first);
    expect(queue.request()).toBe(second);
    expect(queue.latest).toBe(second);
    gate.resolve();
    await second;
    expect(runs).toBe(2);
  });

  test('CoalescingQueue: a run that fails does not stop the next', async () => {
    let runs = 0;
    const queue = new CoalescingQueue(() => (++runs === 1 ? Promise.reject(new Error('broken')) : Promise.resolve()));
    await expect(queue.request()).rejects.toThrow('broken');
    await queue.request();
    expect(runs).toBe(2);
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
});
