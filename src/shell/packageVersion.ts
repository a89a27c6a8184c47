import { readFileSync } from 'node:fs';

/** What `init` and `--version` read of Lattice's package.json. */
export interface PackageManifest {
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** Lattice's package.json (two folders up from src/shell and from dist/src/shell alike). */
export function readPackageManifest(): PackageManifest {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as Partial<PackageManifest> & { name?: string };
      if (parsed.name === '@lattice-scr/lattice' && parsed.version) return { version: parsed.version, dependencies: parsed.dependencies ?? {}, devDependencies: parsed.devDependencies ?? {} };
    } catch {
      // try the next candidate
    }
  }
  return { version: '0.0.0', dependencies: {}, devDependencies: {} };
}

/** The version in Lattice's package.json. */
export function readPackageVersion(): string {
  return readPackageManifest().version;
}
