import { afterEach, beforeEach } from 'vitest';
import type { Container } from '@lattice-scr/lattice';
import { tempHomes } from './tempHome.js';

/**
 * For tests of component modules loaded from files: temporary homes, the containers to stop after each
 * test, and the log those modules write to (`globalThis.__latticeTestLog`), emptied before each test.
 * Registers the hooks; call it once at the top of the test file.
 */
export function moduleTests(): { homes: ReturnType<typeof tempHomes>; running: Container[]; log: string[] } {
  const homes = tempHomes();
  const running: Container[] = [];
  const log: string[] = [];
  beforeEach(() => {
    log.length = 0;
    (globalThis as { __latticeTestLog?: string[] }).__latticeTestLog = log;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
    await homes.cleanup();
  });
  return { homes, running, log };
}
