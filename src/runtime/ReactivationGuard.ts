/**
 * Counts one component's reactivations while the runtime settles, by cause. A cause that recurs more
 * than `limit` times before the runtime is quiet again is a loop (components that keep changing each
 * other), not a storm of real changes: a storm brings new causes (other services, other providers),
 * a loop the same ones over and over.
 */
export class ReactivationGuard {
  private window = -1;
  /** Made on first use: most components are never reactivated. */
  private counts: Map<string, number> | undefined;

  constructor(private readonly limit: number) {}

  /** Records one reactivation in `window` (the runtime's settle count); true once `cause` went over the limit. */
  note(window: number, cause: string): boolean {
    if (window !== this.window) {
      this.window = window;
      this.counts?.clear();
    }
    this.counts ??= new Map();
    const count = (this.counts.get(cause) ?? 0) + 1;
    this.counts.set(cause, count);
    return count > this.limit;
  }

  /** How many times `cause` was recorded in the current window. */
  count(cause: string): number {
    return this.counts?.get(cause) ?? 0;
  }
}
