import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Makes a temporary home folder; `cleanup` removes every one made. */
export function tempHomes(): { make: () => Promise<string>; cleanup: () => Promise<void> } {
  const made: string[] = [];
  return {
    async make() {
      const home = await mkdtemp(join(tmpdir(), 'lattice-test-'));
      made.push(home);
      return home;
    },
    async cleanup() {
      await Promise.all(made.splice(0).map((home) => rm(home, { recursive: true, force: true })));
    },
  };
}
