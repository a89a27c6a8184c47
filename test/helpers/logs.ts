import { pino, type Logger } from 'pino';

export interface LogEntry {
  level: number;
  msg: string;
  component?: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in memory, for tests that check what was logged. */
export function captureLogger(): { logger: Logger; entries: LogEntry[]; errors: () => LogEntry[] } {
  const entries: LogEntry[] = [];
  const logger = pino({ level: 'debug' }, {
    write(line: string) {
      entries.push(JSON.parse(line) as LogEntry);
    },
  });
  return { logger, entries, errors: () => entries.filter((e) => e.level >= 50) };
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
