import { pino, type Logger } from 'pino';
import { Recorder } from './recorder.js';

export interface LogEntry {
  level: number;
  msg: string;
  component?: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in memory, for tests that check (or wait for) what was logged. */
export function captureLogger(): { logger: Logger; entries: LogEntry[]; errors: () => LogEntry[]; recorder: Recorder<LogEntry> } {
  const recorder = new Recorder<LogEntry>();
  const logger = pino({ level: 'debug' }, {
    write(line: string) {
      recorder.push(JSON.parse(line) as LogEntry);
    },
  });
  return { logger, entries: recorder.items, errors: () => recorder.items.filter((e) => e.level >= 50), recorder };
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
