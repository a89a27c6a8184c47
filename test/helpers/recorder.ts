/** Items recorded as they happen, and a way to wait until they satisfy a condition. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  /** Resolves once `condition(items)` holds; rejects after `timeoutMs` showing what was recorded. */
  waitFor(condition: (items: readonly T[]) => boolean, timeoutMs = 10_000): Promise<void> {
    if (condition(this.items)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`condition not met within ${timeoutMs} ms; recorded: ${JSON.stringify(this.items, null, 1).slice(0, 2000)}`));
      }, timeoutMs);
      const waiter = {
        check: () => condition(this.items),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits for an item matching `predicate` and returns it. */
  async next(predicate: (item: T) => boolean, timeoutMs?: number): Promise<T> {
    await this.waitFor((items) => items.some(predicate), timeoutMs);
    return this.items.find(predicate) as T;
  }
}
