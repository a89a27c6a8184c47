import { Container, type ContainerEvent, type ContainerOptions } from '@lattice-scr/lattice';
import { captureLogger, type LogEntry } from './logs.js';
import type { Recorder } from './recorder.js';

/** A container with captured logs, and its component events in order. */
export function testContainer(options: ContainerOptions = {}): {
  container: Container;
  events: ContainerEvent[];
  logs: LogEntry[];
  /** The log lines, to wait on. */
  logRecorder: Recorder<LogEntry>;
  errors: () => LogEntry[];
  /** "name:state" for each component state change, in order. */
  transitions: () => string[];
} {
  const { logger, entries, errors, recorder } = captureLogger();
  const container = new Container({ logger, ...options });
  const events: ContainerEvent[] = [];
  container.on((e) => events.push(e));
  return {
    container,
    events,
    logs: entries,
    logRecorder: recorder,
    errors,
    transitions: () => events.flatMap((e) => (e.type === 'component' ? [`${e.name}:${e.state}`] : [])),
  };
}
