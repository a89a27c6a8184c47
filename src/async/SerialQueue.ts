/**
 * Runs operations one at a time, in call order. One that fails (its caller gets the error) does not stop
 * those queued after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Operations queued or running. */
  get size(): number {
    return this.waiting;
  }

  run<T>(operation: () => T | Promise<T>): Promise<T> {
    this.waiting++;
    const mine = this.tail.then(operation, operation);
    this.tail = mine.then(
      () => {
        this.waiting--;
      },
      () => {
        this.waiting--;
      },
    );
    return mine;
  }

  /** Resolves once every operation queued so far has finished. */
  async drained(): Promise<void> {
    await this.tail;
  }
}
