import { Listeners } from '../collections/Listeners.js';

/** A log line as the tail keeps it: pino's fields, and the whole line for anything else it held. */
export interface LogEntry {
  readonly seq: number;
  readonly time: number;
  /** pino's level number: 10 trace … 60 fatal. */
  readonly level: number;
  readonly msg: string;
  /** The component (or part of the container) that logged it, from the child logger's bindings. */
  readonly component?: string;
  readonly line: Readonly<Record<string, unknown>>;
}

const DEFAULT_CAPACITY = 500;

/**
 * The last lines the container logged, kept for the web console's log tail: a pino destination (beside
 * stdout, through `pino.multistream`) that keeps `capacity` lines and tells its listeners of each.
 */
export class LogTail {
  private readonly entries: LogEntry[] = [];
  // A follower that throws (its stream closed, say) is dropped: reporting it through the log would come back here.
  private readonly listeners = new Listeners<[LogEntry]>((_error, listener) => {
    this.listeners.delete(listener);
  });
  private seq = 0;

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** pino writes each line here, as JSON text. */
  write(text: string): void {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: text.trimEnd() };
    }
    const component = typeof line.component === 'string' ? line.component : typeof line.part === 'string' ? line.part : undefined;
    const entry: LogEntry = {
      seq: ++this.seq,
      time: typeof line.time === 'number' ? line.time : Date.now(),
      level: typeof line.level === 'number' ? line.level : 30,
      msg: typeof line.msg === 'string' ? line.msg : '',
      ...(component !== undefined && { component }),
      line,
    };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    this.listeners.emit(entry);
  }

  /** The lines kept, oldest first. */
  recent(): readonly LogEntry[] {
    return [...this.entries];
  }

  /** Calls `listener` with each line from now on; returns the function that stops it. */
  follow(listener: (entry: LogEntry) => void): () => void {
    return this.listeners.add(listener);
  }
}
