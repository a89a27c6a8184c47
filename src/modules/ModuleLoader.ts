import { createHash } from 'node:crypto';
import { register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { ComponentClass } from '../component/ComponentDescription.js';
import { componentClassesOf } from '../component/componentClassesOf.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { withTimeout } from '../async/withTimeout.js';
import { importErrorLocation } from './importErrorLocation.js';
import { moduleContentKey, VERSION_PARAMETER, versionOf } from './moduleGraph.js';

/** A module as imported: where from, and the component classes among its exports. */
export interface LoadedModule {
  readonly file: string;
  /** The URL it was imported from (with its cache-busting version). */
  readonly url: string;
  readonly classes: readonly ComponentClass[];
}

export interface ModuleLoaderOptions {
  readonly logger: Logger;
  /** How long an import may take (its top-level code, awaits included) before it is given up on (default 30 s). */
  readonly importTimeoutMs?: number;
}

interface Imported {
  /** What the module's code is: its files' content (and the caller's key, if any). */
  readonly key: string;
  readonly module: Promise<LoadedModule>;
}

let hookRegistered = false;

/**
 * Lattice's own component modules (dist/components/): they import the package by its full name, which
 * Node resolves to this very copy without help (a package may import itself by name).
 */
const OWN_COMPONENTS = fileURLToPath(new URL('../../components/', import.meta.url));

/**
 * Makes `import ... from '@lattice-scr/lattice'` (or `'lattice'`) in component modules resolve to this very copy of Lattice. Only for
 * the compiled JavaScript: under the test runner the sources are TypeScript, and its resolver (see
 * vitest.config.ts) maps the name instead. Registered before the first module that needs it (see
 * `needsResolveHook`), not before: once registered, Node resolves every import in a loader thread, which
 * cost the distribution's boot about 150 ms for modules that do not need it.
 */
function registerResolveHook(): void {
  if (hookRegistered || !import.meta.url.endsWith('.js')) return;
  hookRegistered = true;
  register(new URL('./resolveLatticeHook.js', import.meta.url), {
    data: { latticeUrl: new URL('../index.js', import.meta.url).href },
  });
}

export const DEFAULT_IMPORT_TIMEOUT_MS = 30_000;

/**
 * Imports component modules. A module whose files are unchanged since it was last imported is not
 * imported again: its classes are used as they are (Node cannot unload a module, so every import of a
 * new version stays in memory). A changed module gets a fresh URL (`?lattice-v=<content>.<attempt>`),
 * so it really is re-imported; the resolve hook versions each of its relative imports by that file's own
 * content, so a changed file is loaded afresh and an unchanged one shared by several modules is one
 * module for all of them. An import whose top-level code
 * never settles is given up on after the import timeout; `cancel()` gives up on those in progress.
 */
export class ModuleLoader {
  readonly importTimeoutMs: number;
  private readonly logger: Logger;
  /** Imports of a file that failed: the next one gets a new URL. */
  private readonly attempts = new Map<string, number>();
  private readonly imported = new Map<string, Imported>();
  /** Which module each component class came from (each version of a module has classes of its own). */
  private readonly origins = new WeakMap<ComponentClass, string>();
  private cancelled = new AbortController();
  /** Imports that have not settled (yet): a hung one keeps Node's loader busy for good. */
  private readonly unsettled = new Set<string>();

  constructor(options: ModuleLoaderOptions) {
    this.logger = options.logger;
    this.importTimeoutMs = options.importTimeoutMs ?? DEFAULT_IMPORT_TIMEOUT_MS;
  }

  /**
   * The hook is needed for any module but Lattice's own (which may import the package by its short name,
   * or find another copy of it), and for a module imported again (its relative imports must be versioned
   * to be loaded afresh).
   */
  private needsResolveHook(file: string): boolean {
    return !this.isFirstOwnImport(file);
  }

  /** The first import of one of Lattice's own component modules: no hook needed, and no version in its URL (below). */
  private isFirstOwnImport(file: string): boolean {
    return file.startsWith(OWN_COMPONENTS) && !this.attempts.has(file) && !this.imported.has(file);
  }

  /**
   * The module's component classes, importing it if its content (its files, and `key` if given) is not
   * what was imported last.
   * @throws LatticeError MODULE_IMPORT_FAILED (with the module's own error as the cause),
   *   MODULE_IMPORT_TIMEOUT, CONTAINER_STOPPED (after `cancel()`).
   */
  async load(file: string, options: { key?: string } = {}): Promise<LoadedModule> {
    // Cancelled: refuse before any of the module's code runs.
    if (this.isCancelled()) throw this.stopped(file);
    const key = `${await moduleContentKey(file)}${options.key === undefined ? '' : `\0${options.key}`}`;
    if (this.isCancelled()) throw this.stopped(file);
    let entry = this.imported.get(file);
    if (entry?.key !== key) {
      if (this.needsResolveHook(file)) registerResolveHook();
      const module = this.importVersion(file, key);
      const current: Imported = { key, module };
      entry = current;
      this.imported.set(file, current);
      // One that failed is imported afresh next time (a hung one is waited on again instead: a new
      // import of the same code would hang as well, and stay in memory).
      module.catch(() => {
        if (this.imported.get(file) === current) this.imported.delete(file);
      });
    }
    return this.waitFor(file, entry.module);
  }

  /** Gives up on imports in progress, and refuses new ones, until `open()` (the container is stopping). */
  cancel(): void {
    this.cancelled.abort();
  }

  open(): void {
    if (this.cancelled.signal.aborted) this.cancelled = new AbortController();
  }

  /** Files whose import has not settled: given up on (timed out, cancelled), or still going. */
  unsettledImports(): string[] {
    return [...this.unsettled].map((url) => fileURLToPath(url));
  }

  /** The file a component class was imported from; undefined for classes this loader did not load. */
  moduleOf(cls: ComponentClass): string | undefined {
    return this.origins.get(cls);
  }

  private async importVersion(file: string, key: string): Promise<LoadedModule> {
    // Versioned by content (the resolve hook versions each relative import by its own content), and by
    // attempt: Node keeps a failed module's error for its URL, so a retry needs a new one.
    const attempt = this.attempts.get(file) ?? 0;
    // A first import of Lattice's own modules goes without a version: their relative imports (shared among
    // them, e.g. the host store's API) then stay one module each, whether the hook is registered or not.
    const url = this.isFirstOwnImport(file) ? pathToFileURL(file).href : `${pathToFileURL(file).href}?${VERSION_PARAMETER}=${versionOf(createHash('sha256').update(key).digest('hex'), attempt)}`;
    this.logger.debug({ file, url }, `importing ${file}`);
    let exports: object;
    this.unsettled.add(url);
    try {
      exports = (await import(url)) as object;
    } catch (error) {
      this.unsettled.delete(url);
      this.attempts.set(file, attempt + 1);
      const where = await importErrorLocation(file, error);
      throw new LatticeError(
        ErrorCode.MODULE_IMPORT_FAILED,
        `Module ${file} could not be imported: ${where === undefined ? '' : `${where}: `}${(error as Error).message}${missingPackageHint(error)}`,
        { file },
        { cause: error },
      );
    }
    this.unsettled.delete(url);
    const classes = componentClassesOf(exports);
    for (const cls of classes) this.origins.set(cls, file);
    return { file, url, classes };
  }

  /** A method, not a property read: the answer changes across awaits. */
  private isCancelled(): boolean {
    return this.cancelled.signal.aborted;
  }

  private stopped(file: string): LatticeError {
    return new LatticeError(ErrorCode.CONTAINER_STOPPED, `The container is stopping; gave up importing ${file}.`, { file });
  }

  /** Waits for an import, but not longer than the timeout, nor past `cancel()`. */
  private waitFor(file: string, module: Promise<LoadedModule>): Promise<LoadedModule> {
    const timedOut = (): LatticeError => {
      this.logger.debug({ file }, `import of ${file} timed out`);
      return new LatticeError(
        ErrorCode.MODULE_IMPORT_TIMEOUT,
        `Module ${file} did not finish importing within ${this.importTimeoutMs} ms: its top-level code (a top-level await, say) never settled. ` +
          'Fix the module (do the waiting in an @Activate method instead), or raise the import timeout (lattice start --import-timeout MS).',
        { file, timeoutMs: this.importTimeoutMs },
      );
    };
    return withTimeout(module, this.importTimeoutMs, timedOut, { signal: this.cancelled.signal, error: () => this.stopped(file) });
  }
}

/** For a package that is not installed: which one, and what to do. */
function missingPackageHint(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND') return '';
  const message = (error as Error).message;
  const name = /Cannot find package '([^']+)'/.exec(message)?.[1];
  if (name === undefined) return '';
  return `. Install it where the module can find it (npm install ${name}, in the module's folder or one above it)`;
}
