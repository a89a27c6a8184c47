import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogTail } from './LogTail.js';

export type { Logger } from 'pino';
export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go (default stdout); ignored when pretty. */
  destination?: DestinationStream;
  /** Also keeps the last lines here (the web console's log tail). */
  tail?: LogTail;
}

/** The container's root logger: JSON lines for machines, pretty lines on a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY);
  // In-process and synchronous: no worker thread to start, nothing lost on exit.
  const main = usePretty ? pretty({ sync: true, colorize: !process.env.NO_COLOR, ignore: 'pid,hostname' }) : options.destination;
  if (options.tail) {
    // Each stream takes every line the logger lets through (the logger's level decides).
    const streams = [{ level: 'trace' as const, stream: main ?? pino.destination(1) }, { level: 'trace' as const, stream: options.tail }];
    return pino({ level }, pino.multistream(streams));
  }
  return main ? pino({ level }, main) : pino({ level });
}
