import { readFileSync } from 'node:fs';

/** The version in Lattice's package.json (two folders up from src/shell and from dist/src/shell alike). */
export function readPackageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (parsed.name === '@lattice-scr/lattice' && parsed.version) return parsed.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}
