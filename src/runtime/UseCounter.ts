import type { ServiceUser } from './ServiceRecord.js';

/** Who holds a service, and how many times (one count per reference bound to it). */
export class UseCounter {
  private readonly counts = new Map<ServiceUser, number>();

  add(user: ServiceUser): void {
    this.counts.set(user, (this.counts.get(user) ?? 0) + 1);
  }

  /** Drops one use; false if `user` held none. */
  remove(user: ServiceUser): boolean {
    const count = this.counts.get(user);
    if (count === undefined) return false;
    if (count <= 1) this.counts.delete(user);
    else this.counts.set(user, count - 1);
    return true;
  }

  clear(): void {
    this.counts.clear();
  }

  get size(): number {
    return this.counts.size;
  }

  users(): ServiceUser[] {
    return [...this.counts.keys()];
  }
}
