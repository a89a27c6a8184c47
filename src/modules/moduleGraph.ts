import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Files of a module's relative import graph read at most (a bound on what one module can make us read). */
const MAX_FILES = 500;

/** The relative specifiers of static imports and re-exports (`from './x.js'`, `import './x.js'`). */
export function relativeImports(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom|\bimport)\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1] as string);
}

interface FileFacts {
  readonly mtimeMs: number;
  readonly size: number;
  readonly hash: string;
  readonly imports: readonly string[];
}

/** What each file held when last read, by path: a file whose time and size did not change is not read again. */
const files = new Map<string, FileFacts>();

async function factsOf(file: string): Promise<FileFacts | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const known = files.get(file);
  if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) return known;
  const source = await readFile(file, 'utf8').catch(() => undefined);
  if (source === undefined) return undefined;
  const imports = /\.[cm]?js$/.test(file) ? relativeImports(source).map((specifier) => resolve(dirname(file), specifier)) : [];
  const facts = { mtimeMs: info.mtimeMs, size: info.size, hash: createHash('sha256').update(source).digest('hex'), imports };
  files.set(file, facts);
  return facts;
}

/**
 * A key for the content of a module: a hash of its file and of every file it reaches by relative
 * imports. Equal keys mean the same code, so a module already imported can be used again as it is.
 */
export async function moduleContentKey(entry: string): Promise<string> {
  const hash = createHash('sha256');
  const queue = [entry];
  const seen = new Set(queue);
  for (let file = queue.shift(), read = 0; file !== undefined && read < MAX_FILES; file = queue.shift(), read++) {
    const facts = await factsOf(file);
    hash.update(`${file}\0${facts?.hash ?? 'missing'}\0`);
    for (const next of facts?.imports ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return hash.digest('hex');
}

/** The query parameter that versions an imported module (see ModuleLoader and the resolve hook). */
export const VERSION_PARAMETER = 'lattice-v';

/**
 * A module's version in its URL: its content key, and the attempt (an import that failed is tried
 * again under a new URL, since Node keeps a failed module's error for its URL).
 */
export function versionOf(contentKey: string, attempt: number): string {
  return `${contentKey.slice(0, 16)}.${attempt}`;
}

/** The attempt part of a version. */
export function attemptOf(version: string): number {
  return Number(version.split('.')[1] ?? 0);
}
