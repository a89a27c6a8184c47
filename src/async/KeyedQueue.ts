import { SerialQueue } from './SerialQueue.js';

/**
 * Runs operations one at a time per key, in call order; operations of different keys run freely.
 * A failing operation does not stop the ones queued after it.
 */
export class KeyedQueue<K> {
  private readonly queues = new Map<K, SerialQueue>();

  run<T>(key: K, operation: () => T | Promise<T>): Promise<T> {
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = new SerialQueue()));
    const mine = queue.run(operation);
    // A key is forgotten once its queue is empty: keys come and go (a PID, a file).
    const forget = (): void => {
      if (queue.size === 0 && this.queues.get(key) === queue) this.queues.delete(key);
    };
    void mine.then(forget, forget);
    return mine;
  }

  /** Resolves once every operation queued so far, of every key, has finished. */
  async drained(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.drained()));
  }
}
