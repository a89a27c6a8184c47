// Builds dist/ with tsc (`npm run build`); with --if-changed, only when a source changed since the last
// build (`npm start`, `npm run bench`): tsc takes seconds even when nothing changed.
// Plain JavaScript, not compiled: it decides whether the compiler runs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Written after each successful build: a fingerprint of the sources as they were when it started. */
const STAMP = join(ROOT, 'dist', '.build-stamp');
/** What tsconfig.build.json compiles, and what says how. */
const SOURCES = ['src', 'components', 'bench', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/**
 * Every source file and folder under `path` with its modification time and size, into `hash`. Any edit,
 * new file or deleted one (its folder's time changes) changes the fingerprint, whatever the clocks say:
 * it is compared for equality, not against the time of the build.
 */
function fingerprint(path, hash) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return;
  }
  hash.update(`${path}\0${stat.mtimeMs}\0${stat.size}\n`);
  if (stat.isDirectory()) for (const entry of readdirSync(path).sort()) fingerprint(join(path, entry), hash);
}

function sourcesFingerprint() {
  const hash = createHash('sha256');
  for (const source of SOURCES) fingerprint(join(ROOT, source), hash);
  return hash.digest('hex');
}

function stampedFingerprint() {
  try {
    return readFileSync(STAMP, 'utf8').trim().split(' ')[0];
  } catch {
    return undefined;
  }
}

const ifChanged = process.argv.includes('--if-changed');
// Taken before the build: an edit made while tsc runs counts as a change next time.
const sources = sourcesFingerprint();
if (ifChanged && stampedFingerprint() === sources) process.exit(0);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(join(ROOT, 'dist'), { recursive: true });
writeFileSync(STAMP, `${sources} (a fingerprint of the sources this build was made from)\n`);
