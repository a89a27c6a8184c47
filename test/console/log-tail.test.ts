import { describe, expect, test } from 'vitest';
import { createLogger } from '../../src/logging/createLogger.js';
import { LogTail, type LogEntry } from '../../src/logging/LogTail.js';

describe('the log tail', () => {
  test('keeps the last lines the logger let through, with the component of a child logger, and tells followers of each new one', () => {
    const tail = new LogTail(3);
    const written: string[] = [];
    const logger = createLogger({ level: 'info', tail, destination: { write: (line: string) => written.push(line) } });
    const followed: LogEntry[] = [];
    const stop = tail.follow((entry) => followed.push(entry));
    logger.debug('not logged at info');
    logger.info('one');
    logger.child({ component: 'store' }).warn({ port: 1 }, 'two');
    logger.child({ part: 'config' }).info('three');
    stop();
    logger.error('four');
    // The main destination still gets every line.
    expect(written).toHaveLength(4);
    expect(followed.map((e) => e.msg)).toEqual(['one', 'two', 'three']);
    expect(tail.recent().map((e) => [e.seq, e.msg, e.component, e.level])).toEqual([
      [2, 'two', 'store', 40],
      [3, 'three', 'config', 30],
      [4, 'four', undefined, 50],
    ]);
    expect(tail.recent()[0]?.line).toMatchObject({ port: 1 });
  });
});
