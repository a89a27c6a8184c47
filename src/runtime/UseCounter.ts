import type { ServiceUser } from './ServiceRecord.js';

/**
 * Who holds a service, and how many times (one count per reference bound to it). Most services are
 * held by none or one user: one is kept in two fields, a Map only made for a second.
 */
export class UseCounter {
  private onlyUser: ServiceUser | undefined;
  private onlyCount = 0;
  private counts: Map<ServiceUser, number> | undefined;

  add(user: ServiceUser): void {
    if (this.counts) this.counts.set(user, (this.counts.get(user) ?? 0) + 1);
    else if (this.onlyUser === undefined || this.onlyUser === user) {
      this.onlyUser = user;
      this.onlyCount++;
    } else {
      // Insertion order, as users() promises: the one before first.
      this.counts = new Map([
        [this.onlyUser, this.onlyCount],
        [user, 1],
      ]);
      this.onlyUser = undefined;
      this.onlyCount = 0;
    }
  }

  /** Drops one use; false if `user` held none. */
  remove(user: ServiceUser): boolean {
    if (!this.counts) {
      if (this.onlyUser !== user) return false;
      if (--this.onlyCount === 0) this.onlyUser = undefined;
      return true;
    }
    const count = this.counts.get(user);
    if (count === undefined) return false;
    if (count > 1) this.counts.set(user, count - 1);
    else if (this.counts.size === 1) this.counts = undefined;
    else this.counts.delete(user);
    return true;
  }

  clear(): void {
    this.onlyUser = undefined;
    this.onlyCount = 0;
    this.counts = undefined;
  }

  get size(): number {
    return this.counts ? this.counts.size : this.onlyUser === undefined ? 0 : 1;
  }

  users(): ServiceUser[] {
    if (this.counts) return [...this.counts.keys()];
    return this.onlyUser === undefined ? [] : [this.onlyUser];
  }
}
