import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentClass, Container } from '@lattice-scr/lattice';
import { testContainer } from './container.js';
import { Recorder } from './recorder.js';
import { tempHomes } from './tempHome.js';

/**
 * Containers running in temporary homes with configuration files: `start` writes `config/<pid>.json`
 * for each of `files`, registers the classes and starts; `cleanup` (after each test) stops them all and
 * removes the homes.
 */
export function configHomes() {
  const homes = tempHomes();
  const running: Container[] = [];
  return {
    async start(classes: ComponentClass[], files: Record<string, string> = {}, env?: NodeJS.ProcessEnv) {
      const home = await homes.make();
      await mkdir(join(home, 'config'));
      for (const [pid, text] of Object.entries(files)) await writeFile(join(home, 'config', `${pid}.json`), text);
      const t = testContainer({ home, ...(env && { env }) });
      running.push(t.container);
      // Each reload of a configuration file, to wait on.
      const reloads = new Recorder<{ pid: string; outcome: string }>();
      t.container.configFolder?.onReload((pid, outcome) => {
        reloads.push({ pid, outcome });
      });
      t.container.register(...classes);
      await t.container.start();
      return { ...t, home, reloads, file: (pid: string) => join(home, 'config', `${pid}.json`) };
    },
    async cleanup() {
      await Promise.all(running.splice(0).map((c) => c.stop()));
      await homes.cleanup();
    },
  };
}
