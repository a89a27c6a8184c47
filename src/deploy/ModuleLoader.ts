import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { ComponentClass } from '../component/ComponentDescription.js';
import { componentClassesOf } from '../component/componentClassesOf.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { importErrorLocation } from './importErrorLocation.js';

/** A module as imported: where from, and the component classes among its exports. */
export interface LoadedModule {
  readonly file: string;
  /** The URL it was imported from (with its cache-busting version). */
  readonly url: string;
  readonly classes: readonly ComponentClass[];
}

let hookRegistered = false;

/**
 * Makes `import ... from 'lattice'` in component modules resolve to this very copy of Lattice. Only for
 * the compiled JavaScript: under the test runner the sources are TypeScript, and its resolver (see
 * vitest.config.ts) maps the name instead.
 */
function registerResolveHook(): void {
  if (hookRegistered || !import.meta.url.endsWith('.js')) return;
  hookRegistered = true;
  register(new URL('./resolveLatticeHook.js', import.meta.url), {
    data: { latticeUrl: new URL('../index.js', import.meta.url).href },
  });
}

/**
 * Imports component modules. Each load of a file gets a fresh URL (`?lattice-v=N`, passed on to the
 * module's relative imports by the resolve hook), so a changed module is really re-imported. Node cannot
 * unload modules: the old version's code stays in memory, so a module redeployed very often grows the
 * process a little each time.
 */
export class ModuleLoader {
  private readonly versions = new Map<string, number>();
  /** Which module each component class came from (each version of a module has classes of its own). */
  private readonly origins = new WeakMap<ComponentClass, string>();

  constructor(private readonly logger: Logger) {
    registerResolveHook();
  }

  /** @throws LatticeError MODULE_IMPORT_FAILED with the module's own error as the cause. */
  async load(file: string): Promise<LoadedModule> {
    const version = (this.versions.get(file) ?? 0) + 1;
    this.versions.set(file, version);
    const url = `${pathToFileURL(file).href}?lattice-v=${version}`;
    let exports: object;
    try {
      exports = (await import(url)) as object;
    } catch (error) {
      const where = await importErrorLocation(file, error);
      throw new LatticeError(
        ErrorCode.MODULE_IMPORT_FAILED,
        `Module ${file} could not be imported: ${where === undefined ? '' : `${where}: `}${(error as Error).message}`,
        { file },
        { cause: error },
      );
    }
    const classes = componentClassesOf(exports);
    for (const cls of classes) this.origins.set(cls, file);
    if (classes.length === 0) this.logger.warn({ file }, `module ${file} exports no @Component class`);
    return { file, url, classes };
  }

  /** The file a component class was imported from; undefined for classes this loader did not load. */
  moduleOf(cls: ComponentClass): string | undefined {
    return this.origins.get(cls);
  }
}
