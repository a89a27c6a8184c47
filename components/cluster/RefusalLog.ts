import type { Logger } from '@lattice-scr/lattice';

interface SourceWindow {
  count: number;
  lastReason: string;
  readonly intervalMs: number;
  timer: NodeJS.Timeout;
}

/**
 * Logs refused connections at most once per source address per interval at warn level: the first
 * refusal at once, and at the end of the interval one line with how many more there were (each of them
 * at debug level). Ten thousand garbage connections make two warnings, not ten thousand.
 */
export class RefusalLog {
  private readonly sources = new Map<string, SourceWindow>();

  constructor(
    private readonly logger: Logger,
    /** May change (cluster.json edited): intervals that begin later use the new one. */
    public intervalMs: number,
  ) {}

  refused(source: string, reason: string, details: Record<string, unknown> = {}): void {
    const window = this.sources.get(source);
    if (window) {
      window.count++;
      window.lastReason = reason;
      this.logger.debug({ remote: source, ...details }, reason);
      return;
    }
    this.logger.warn({ remote: source, ...details }, reason);
    const intervalMs = this.intervalMs;
    const timer = setTimeout(() => {
      this.flush(source);
    }, intervalMs);
    timer.unref();
    this.sources.set(source, { count: 0, lastReason: reason, intervalMs, timer });
  }

  /** Says what is still counted, and forgets it (the node is stopping). */
  close(): void {
    for (const source of [...this.sources.keys()]) this.flush(source);
  }

  private flush(source: string): void {
    const window = this.sources.get(source);
    if (!window) return;
    clearTimeout(window.timer);
    this.sources.delete(source);
    if (window.count > 0) {
      this.logger.warn(
        { remote: source, refused: window.count },
        `refused ${window.count} more connection${window.count === 1 ? '' : 's'} from ${source} in the last ${window.intervalMs} ms (the last: ${window.lastReason})`,
      );
    }
  }
}
