import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { watch } from 'chokidar';
import { pino } from 'pino';
import { Component, Container, Modified } from '../src/index.js';
import { percentile } from './stats.js';
import { ms, printTable, ratio } from './table.js';

const EDITS = 200;

/** Waits for the first value `next` yields that satisfies `check`. */
function waiter<T>(): { push: (value: T) => void; next: (check: (value: T) => boolean) => Promise<T> } {
  let pending: { check: (value: T) => boolean; resolve: (value: T) => void } | undefined;
  return {
    push(value) {
      if (pending?.check(value)) {
        const { resolve } = pending;
        pending = undefined;
        resolve(value);
      }
    },
    next(check) {
      return new Promise((resolve) => (pending = { check, resolve }));
    },
  };
}

/** Latency from a config file write to @Modified, beside raw chokidar's event latency for the same writes. */
export async function benchConfig(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'lattice-bench-'));
  const configDir = join(home, 'config');
  const file = join(configDir, 'tuned.json');
  const modified = waiter<{ n: number; at: number }>();
  @Component({ name: 'tuned' })
  class Tuned {
    @Modified modified(config: { n?: number }): void {
      modified.push({ n: config.n ?? -1, at: performance.now() });
    }
  }
  const container = new Container({ home, logger: pino({ level: 'silent' }) });
  await container.config.update('tuned', { n: -1 });
  container.register(Tuned);
  await container.start();

  const raw = watch(configDir, { ignoreInitial: true, depth: 0 });
  await new Promise<void>((resolve) => raw.once('ready', resolve));
  const rawEvent = waiter<number>();
  raw.on('all', (_event, path) => {
    if (basename(path) === 'tuned.json') rawEvent.push(performance.now());
  });

  const rows: string[][] = [];
  let n = 0;
  for (const mode of ['plain write', 'write temp + rename'] as const) {
    const ours: number[] = [];
    const chokidar: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      const value = ++n;
      const content = JSON.stringify({ n: value });
      const applied = modified.next((m) => m.n === value);
      const seen = rawEvent.next(() => true);
      const started = performance.now();
      if (mode === 'plain write') await writeFile(file, content);
      else {
        const temp = join(configDir, '.tuned.json.tmp');
        await writeFile(temp, content);
        await rename(temp, file);
      }
      const [done, eventAt] = await Promise.all([applied, seen]);
      ours.push(done.at - started);
      chokidar.push(eventAt - started);
      // Keep edits apart: chokidar passes on one change event per file per 50 ms.
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    for (const p of [50, 99]) {
      const o = percentile(ours, p);
      const c = percentile(chokidar, p);
      rows.push([mode, `p${p}`, ms(o), ms(c), ratio(o, c)]);
    }
  }
  await raw.close();
  await container.stop();
  await rm(home, { recursive: true, force: true });
  printTable(`Config file edit → @Modified called (${EDITS} edits per mode)`, ['write', '', 'Lattice: write → @Modified', 'raw chokidar event', 'ratio'], rows);
}
