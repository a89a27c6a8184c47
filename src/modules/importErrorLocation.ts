import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relativeImports } from './moduleGraph.js';

/** Files of a module's import graph checked at most, looking for a syntax error. */
const MAX_FILES = 50;

/**
 * Where in its files a module failed to import, as `path:line[:column]`. A module that throws, or imports
 * a name nobody exports, has it in its stack. A module that does not compile has nothing of the kind on
 * Node 20 (just "Unexpected token ';'"): then each file of its relative import graph gets a syntax check
 * in a child process, which does say where.
 */
export async function importErrorLocation(entry: string, error: unknown): Promise<string | undefined> {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  // The first place in the module's own folder (not, say, inside Lattice's decorators that it called).
  for (const [, url, line, column] of stack.matchAll(/(file:\/\/[^\s()?]+)(?:\?[^\s():]*)?:(\d+)(?::(\d+))?/g)) {
    const file = fileURLToPath(url as string);
    if (file.startsWith(dirname(entry))) return `${file}:${line}${column === undefined ? '' : `:${column}`}`;
  }
  if (!(error instanceof SyntaxError)) return undefined;
  const queue = [entry];
  const seen = new Set(queue);
  let checked = 0;
  for (let file = queue.shift(); file !== undefined && checked < MAX_FILES; file = queue.shift()) {
    if (!/\.[cm]?js$/.test(file)) continue;
    checked++;
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const where = await syntaxErrorIn(file, source);
    if (where !== undefined) return where;
    for (const specifier of relativeImports(source)) {
      const next = resolve(dirname(file), specifier);
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/**
 * Where the syntax error in a file is. A .js file may be either kind of module (Node 20.19 decides by its
 * syntax when package.json does not say): it has an error only if it compiles as neither.
 */
async function syntaxErrorIn(file: string, source: string): Promise<string | undefined> {
  if (file.endsWith('.cjs')) return checkSyntax(file, source, 'commonjs');
  const asModule = await checkSyntax(file, source, 'module');
  if (asModule === undefined || file.endsWith('.mjs')) return asModule;
  return (await checkSyntax(file, source, 'commonjs')) === undefined ? undefined : asModule;
}

/** `node --check` of the source on stdin (given a path, Node 20 skips checking ES modules in .js files). */
function checkSyntax(file: string, source: string, inputType: 'module' | 'commonjs'): Promise<string | undefined> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [`--input-type=${inputType}`, '--check'], { timeout: 10_000 }, (failed, _stdout, stderr) => {
      const at = failed ? /^\[stdin\]:(\d+)\n.*\n( *)\^/m.exec(stderr) : null;
      done(at ? `${file}:${at[1]}:${(at[2] as string).length + 1}` : undefined);
    });
    child.stdin?.on('error', () => undefined).end(source);
  });
}
