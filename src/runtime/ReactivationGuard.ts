/**
 * How long a component must stay quiet (no reconcile running or queued) to have rested. A loop on
 * microtasks comes back within microseconds (a forced turn of the event loop included); services that
 * come and go from outside leave it quiet longer.
 */
export const REST_MS = 5;

/**
 * Counts one component's reactivations by cause, within a window: from when the component starts
 * changing until it rests (stays quiet for REST_MS), the runtime settles, or something outside the
 * components changes (code outside the container, a file: a loop is components changing each other). A cause that recurs more than `limit` times within one window is a loop (components that keep
 * changing each other on microtasks), not a storm of real changes, which lets the component rest between
 * changes or brings new causes. More than ten times `limit` reactivations in one window, whatever their
 * causes, is a loop too (one that makes something new each round).
 */
export class ReactivationGuard {
  private window = -1;
  private outside = -1;
  private startedAt = 0;
  private total = 0;
  /** Made on first use: most components are never reactivated. */
  private counts: Map<string, number> | undefined;

  constructor(private readonly limit: number) {}

  /**
   * Records one reactivation; `settles` is the runtime's settle count, `outside` its count of changes from
   * outside the components (either moving starts a new window). True once `cause`, or all causes
   * together, went over the limit in the current window.
   */
  note(settles: number, outside: number, cause: string): boolean {
    if (settles !== this.window || outside !== this.outside) {
      this.outside = outside;
      this.rest(settles);
    }
    this.counts ??= new Map();
    const count = (this.counts.get(cause) ?? 0) + 1;
    this.counts.set(cause, count);
    this.total++;
    return count > this.limit || this.total > this.limit * 10;
  }

  /** The component rested, or the runtime settled: a new window. */
  rest(settles = this.window): void {
    this.window = settles;
    this.startedAt = performance.now();
    this.total = 0;
    this.counts?.clear();
  }

  /** How long the current window has lasted. */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** How many times `cause` was recorded in the current window. */
  count(cause: string): number {
    return this.counts?.get(cause) ?? 0;
  }
}
