import { SnapshotSet } from './SnapshotSet.js';

/**
 * The listeners of one kind of event. Each event goes to the listeners there were when it began (one
 * added or removed by a listener counts from the next event); a listener that throws, or returns a
 * promise that rejects (an async function), is reported to `onError` and does not keep the event from
 * the others, nor from the code that emitted it, nor leaves a rejection unhandled.
 */
export class Listeners<A extends unknown[]> {
  private readonly members = new SnapshotSet<(...args: A) => unknown>();

  constructor(private readonly onError: (error: unknown, listener: (...args: A) => unknown) => void) {}

  get size(): number {
    return this.members.size;
  }

  /** Adds a listener; returns the function that removes it. */
  add(listener: (...args: A) => unknown): () => void {
    this.members.add(listener);
    return () => {
      this.members.delete(listener);
    };
  }

  delete(listener: (...args: A) => unknown): void {
    this.members.delete(listener);
  }

  emit(...args: A): void {
    for (const listener of this.members.snapshot()) {
      try {
        // An async function's promise: its rejection is the listener's error too.
        const result = listener(...args);
        if (result instanceof Promise) {
          result.catch((error: unknown) => {
            this.onError(error, listener);
          });
        }
      } catch (error) {
        this.onError(error, listener);
      }
    }
  }
}
