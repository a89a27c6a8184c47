/**
 * Runs a task after the run in progress; every request made before that next run starts shares it. For
 * work that reads all its inputs afresh each time (a component's reconcile): one run serves every request
 * made while it waited. The task is given once, so that a request allocates nothing but its run.
 */
export class CoalescingQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private readonly start: () => Promise<void>;

  constructor(task: () => Promise<void>) {
    this.start = () => {
      this.queued = undefined;
      return task();
    };
  }

  /** The run asked for and not started yet, if there is one. */
  get pending(): Promise<void> | undefined {
    return this.queued;
  }

  /** The latest run asked for: when it settles and is still the latest, the queue is quiet. */
  get latest(): Promise<void> {
    return this.tail;
  }

  request(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.tail.then(this.start, this.start);
    this.queued = run;
    this.tail = run;
    return run;
  }
}
