import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';
export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go (default stdout); ignored when pretty. */
  destination?: DestinationStream;
}

/** The container's root logger: JSON lines for machines, pretty lines on a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY);
  if (usePretty) {
    // In-process and synchronous: no worker thread to start, nothing lost on exit.
    return pino({ level }, pretty({ sync: true, colorize: !process.env.NO_COLOR, ignore: 'pid,hostname' }));
  }
  return options.destination ? pino({ level }, options.destination) : pino({ level });
}
