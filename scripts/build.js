// Builds dist/ with tsc (`npm run build`); with --if-changed, only when a source changed since the last
// build (`npm start`, `npm run bench`): tsc takes seconds even when nothing changed.
// Plain JavaScript, not compiled: it decides whether the compiler runs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Written after each successful build, with the time the build started as its modification time. */
const STAMP = join(ROOT, 'dist', '.build-stamp');
/** What tsconfig.build.json compiles, and what says how. */
const SOURCES = ['src', 'components', 'bench', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** The newest modification time under `path` (directories count: a file deleted or renamed changes its folder's). */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  let time = stat.mtimeMs;
  if (stat.isDirectory()) for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  return time;
}

function stampTime() {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return -1;
  }
}

const ifChanged = process.argv.includes('--if-changed');
if (ifChanged && Math.max(...SOURCES.map((s) => newest(join(ROOT, s)))) < stampTime()) process.exit(0);

const started = new Date();
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(join(ROOT, 'dist'), { recursive: true });
writeFileSync(STAMP, `built from the sources as they were at ${started.toISOString()}\n`);
utimesSync(STAMP, started, started);
