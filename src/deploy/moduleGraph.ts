import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Files of a module's relative import graph read at most (a bound on what one module can make us read). */
const MAX_FILES = 500;

/** The relative specifiers of static imports and re-exports (`from './x.js'`, `import './x.js'`). */
export function relativeImports(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom|\bimport)\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1] as string);
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
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch {
      hash.update(`${file}\0missing\0`);
      continue;
    }
    hash.update(`${file}\0${source.length}\0`).update(source);
    if (!/\.[cm]?js$/.test(file)) continue;
    for (const specifier of relativeImports(source)) {
      const next = resolve(dirname(file), specifier);
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return hash.digest('hex');
}
