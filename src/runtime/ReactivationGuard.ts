/** A count of causes lasts at least this long, even when the container settles in between. */
const MIN_WINDOW_MS = 1000;

/**
 * Counts one component's reactivations by cause. A cause that recurs more than `limit` times within one
 * window is a loop (components that keep changing each other), not a storm of real changes: a storm
 * brings new causes (other services, other providers), a loop the same ones over and over. A window
 * lasts while the runtime settles, and at least a second: a loop that passes through a timer or a file
 * (a component writing configuration, say) lets the runtime settle between rounds, but not rest.
 */
export class ReactivationGuard {
  private window = -1;
  private windowStartedAt = 0;
  /** Made on first use: most components are never reactivated. */
  private counts: Map<string, number> | undefined;

  constructor(private readonly limit: number) {}

  /**
   * Records one reactivation; `settles` is the runtime's settle count. True once `cause` went over the
   * limit in the current window.
   */
  note(settles: number, cause: string, now = performance.now()): boolean {
    if (settles !== this.window && now - this.windowStartedAt >= MIN_WINDOW_MS) {
      this.window = settles;
      this.windowStartedAt = now;
      this.counts?.clear();
    }
    this.counts ??= new Map();
    const count = (this.counts.get(cause) ?? 0) + 1;
    this.counts.set(cause, count);
    return count > this.limit;
  }

  /** How long the current window has lasted. */
  elapsedMs(now = performance.now()): number {
    return now - this.windowStartedAt;
  }

  /** How many times `cause` was recorded in the current window. */
  count(cause: string): number {
    return this.counts?.get(cause) ?? 0;
  }
}
