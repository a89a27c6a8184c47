import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Logger } from 'pino';
import { Listeners } from '../collections/Listeners.js';
import type { ComponentClass } from '../component/ComponentDescription.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { featureId } from '../features/FeatureDefinition.js';
import type { FeatureService } from '../features/FeatureService.js';
import { readFeaturesFile } from '../features/readFeaturesFile.js';
import { FolderWatcher } from '../fs/FolderWatcher.js';
import { whenFolderSettled } from '../fs/whenFolderSettled.js';
import type { ModuleLoader } from '../modules/ModuleLoader.js';
import type { ComponentInfo } from '../runtime/ComponentInfo.js';

/** What the deploy folder needs from the container. */
export interface DeployHost {
  /** Registers classes in place of the components named (checking every name first); resolves when quiet. */
  replace(names: readonly string[], classes: readonly ComponentClass[]): Promise<string[]>;
  unregister(...names: string[]): Promise<void>;
  hasComponent(name: string): boolean;
  component(name: string): ComponentInfo;
}

/** What happened to one entry of deploy/. */
export interface DeployEvent {
  /** The entry's name in deploy/ (a file, or a folder module). */
  readonly entry: string;
  readonly action: 'deployed' | 'redeployed' | 'undeployed' | 'failed' | 'skipped' | 'features-added' | 'features-removed' | 'waiting';
  readonly components?: readonly string[];
  readonly features?: readonly string[];
  readonly error?: string;
  /** The error's code, when it has one (`MODULE_NO_COMPONENTS`, `COMPONENT_NAME_DUPLICATE`, `MODULE_IMPORT_FAILED`...). */
  readonly code?: string;
}

interface Deployment {
  /** The module file imported (its real path). */
  readonly file: string;
  readonly components: readonly string[];
  /** Size and time of the file, or of everything in the folder, as deployed: unchanged, nothing to redo. */
  readonly content: string;
}

/**
 * The hot deploy folder, `<home>/deploy`: a module (`x.js`, `x.mjs`, or a folder with `index.js`) dropped
 * in is imported and its components registered; changed, it is re-imported and its components replaced;
 * deleted, its components are removed. `x.features.json` adds features (installing `"install": "auto"`
 * ones). Files are taken once their writes have settled (chokidar's awaitWriteFinish), and a folder once
 * nothing in it has changed for as long (chokidar does not wait for folders). A module that fails
 * to import, or cannot be registered, is reported and changes nothing: an older version stays deployed.
 * Modules that features use belong to the features and are not deployed on their own.
 */
export class DeployWatcher {
  private readonly deployments = new Map<string, Deployment>();
  /**
   * Entries are handled one at a time, in the order their events came: a module and the features file
   * that names it, dropped in together, are then seen in a known order (see addFeatures and process).
   */
  private readonly watcher: FolderWatcher;
  private readonly listeners: Listeners<[DeployEvent]>;
  /** Entries left alone because a feature uses them, or features files refused: looked at again when features change. */
  private readonly waiting = new Set<string>();
  /** Features files that name modules not in deploy/ yet, and those modules: added once they are there. */
  private readonly waitingForModules = new Map<string, readonly string[]>();
  /** Whether features files install their `auto` features: not while they are first read, before the remembered ones are installed. */
  private installing = true;

  constructor(
    private readonly folder: string,
    private readonly host: DeployHost,
    private readonly loader: ModuleLoader,
    private readonly features: FeatureService,
    private readonly logger: Logger,
    private readonly settleMs = 100,
  ) {
    this.watcher = new FolderWatcher({
      folder,
      accept: (entry) => !entry.startsWith('.'),
      onChange: async (entry) => {
        await this.process(entry, this.installing);
        return undefined;
      },
      logger,
      debounceMs: 20,
      entries: { settleMs },
    });
    this.listeners = new Listeners((error) => {
      logger.error({ err: error }, 'a listener of deploy events threw');
    });
  }

  /** Reads the features files in the folder (before remembered features are restored, which may need them). */
  async loadFeatureFiles(): Promise<void> {
    this.watcher.open();
    await mkdir(this.folder, { recursive: true });
    this.installing = false;
    try {
      for (const entry of (await readdir(this.folder)).sort()) {
        if (kindOf(entry) === 'features') await this.watcher.run(entry);
      }
    } finally {
      this.installing = true;
    }
  }

  /** Watches the folder, then deploys what it holds and installs `auto` features; forgets what went while stopped. */
  async start(): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    await this.watcher.start();
    const entries = new Set(await readdir(this.folder));
    for (const entry of this.deployments.keys()) if (!entries.has(entry)) await this.watcher.run(entry);
    const sorted = [...entries].sort();
    for (const entry of sorted.filter((e) => kindOf(e) === 'features')) await this.watcher.run(entry);
    for (const entry of sorted.filter((e) => kindOf(e) !== 'features')) await this.watcher.run(entry);
  }

  close(): Promise<void> {
    return this.watcher.close();
  }

  /** Features files that wait for modules not in deploy/ yet (`status` shows them). */
  waitingFeatures(): { entry: string; modules: readonly string[] }[] {
    return [...this.waitingForModules].map(([entry, modules]) => ({ entry: `deploy/${entry}`, modules: modules.map((m) => `deploy/${m}`) }));
  }

  onDeploy(listener: (event: DeployEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Component names deployed from each entry. */
  deployed(): Record<string, readonly string[]> {
    return Object.fromEntries([...this.deployments].map(([entry, d]) => [entry, d.components]));
  }

  private async process(entry: string, install: boolean): Promise<void> {
    const path = join(this.folder, entry);
    const info = await stat(path).catch(() => undefined);
    try {
      if (kindOf(entry) === 'features') await (info ? this.addFeatures(entry, path, install) : this.removeFeatures(entry));
      else if (info?.isDirectory() || (info && kindOf(entry) === 'module')) {
        let content = `${info.size}\0${info.mtimeMs}`;
        if (info.isDirectory()) {
          const folder = await whenFolderSettled(path, this.settleMs);
          if (!folder.settled) this.logger.warn(`deploy/${entry} is still changing after a minute; deploying it as it is`);
          content = folder.key;
        }
        // A features file that waits for this module takes it, rather than it deploying on its own.
        await this.addWaitingFeatures(install);
        const file = await moduleFile(path, info.isDirectory());
        if (file === undefined) {
          await this.undeploy(entry);
          if (await this.holdsFeatureModules(path)) {
            this.waiting.add(entry);
            this.logger.info(`deploy/${entry}/ holds modules of features; not deploying it on its own`);
          } else this.logger.warn({ entry }, await noIndexMessage(entry, path));
        } else await this.deploy(entry, file, content, info.isDirectory());
      } else {
        await this.undeploy(entry);
        if (info && kindOf(entry) === 'typescript') {
          this.logger.warn({ entry }, `deploy/${entry} is TypeScript, which Node cannot import: compile it to JavaScript (tsc, with "experimentalDecorators") and put the .js file in deploy/ instead.`);
        }
      }
    } catch (error) {
      if (LatticeError.is(error, ErrorCode.CONTAINER_STOPPED)) {
        this.logger.debug({ entry }, `deploy/${entry}: not deployed, the container is stopping`);
        return;
      }
      this.failed(entry, error);
      const message = (error as Error).message;
      this.logger.error({ entry, err: error }, message.startsWith(`deploy/${entry}`) ? message : `deploy/${entry}: ${message}`);
    }
  }

  private async deploy(entry: string, file: string, content: string, isFolder: boolean): Promise<void> {
    if (this.features.moduleFiles().has(await realpath(file))) {
      if (this.deployments.has(entry)) await this.undeploy(entry);
      this.waiting.add(entry);
      this.emit({ entry, action: 'skipped' });
      this.logger.info(`deploy/${entry} is used by a feature; not deploying it on its own`);
      return;
    }
    this.waiting.delete(entry);
    const previous = this.deployments.get(entry);
    // Several events for one change (a folder and the files in it, an editor's save) deploy it once.
    if (previous?.content === content) return;
    // A folder module is new when any file in it is (a data file read at import, say), not just its code.
    const module = await this.loader.load(file, isFolder ? { key: content } : {});
    const real = await realpath(file);
    if (module.classes.length === 0) {
      throw new LatticeError(
        ErrorCode.MODULE_NO_COMPONENTS,
        `exports no @Component class, so there is nothing to deploy${previous ? ' (the version before stays deployed)' : ''}. ` +
          'Export a class declared as a component: `@Component({ name: "my-component" }) export class MyComponent {}`, or in plain JavaScript `Component({ name: "my-component" })(MyComponent)` before exporting it. ' +
          'A helper of another module belongs beside it in a folder module (deploy/name/index.js and its files).',
        { entry: `deploy/${entry}` },
      );
    }
    let registered: string[];
    try {
      // (One may have been unregistered by hand meanwhile.)
      registered = await this.host.replace(previous?.components.filter((name) => this.host.hasComponent(name)) ?? [], module.classes);
    } catch (error) {
      throw LatticeError.is(error, ErrorCode.COMPONENT_NAME_DUPLICATE) ? this.nameClash(error) : error;
    }
    this.deployments.set(entry, { file: real, components: registered, content });
    this.emit({ entry, action: previous ? 'redeployed' : 'deployed', components: registered });
    this.logger.info(`deploy/${entry} ${previous ? 'redeployed' : 'deployed'}: ${registered.join(', ') || 'no components'}`);
  }

  /** A module's component names clash (with each other, or with components there are): nothing changed. */
  private nameClash(error: LatticeError): LatticeError {
    const details = error.details as { twice?: readonly string[]; taken?: readonly string[] } | undefined;
    const twice = [...new Set(details?.twice ?? [])];
    if (twice.length > 0) {
      return new LatticeError(ErrorCode.COMPONENT_NAME_DUPLICATE, `declares component name${twice.length === 1 ? '' : 's'} ${twice.join(', ')} twice; nothing changed`, { components: twice });
    }
    const taken = details?.taken ?? [];
    const owners = taken.map((name) => `${name} (by ${this.host.component(name).module ?? `class ${this.host.component(name).implementation}, registered in code`})`);
    return new LatticeError(ErrorCode.COMPONENT_NAME_DUPLICATE, `component name${taken.length === 1 ? ' is' : 's are'} already registered: ${owners.join(', ')}; nothing changed. Rename the component here or there.`, { components: taken });
  }

  private async undeploy(entry: string): Promise<void> {
    this.waiting.delete(entry);
    const previous = this.deployments.get(entry);
    if (!previous) return;
    this.deployments.delete(entry);
    await this.host.unregister(...previous.components.filter((name) => this.host.hasComponent(name)));
    this.emit({ entry, action: 'undeployed', components: previous.components });
    this.logger.info(`deploy/${entry} removed: ${previous.components.join(', ') || 'no components'}`);
  }

  private async addFeatures(entry: string, file: string, install: boolean): Promise<void> {
    const source = `deploy/${entry}`;
    const { document, problems } = await readFeaturesFile(file, { source, root: this.folder });
    // Modules not there yet are waited for (the module and its features file may come in either order).
    const missing = problems.filter((p) => p.code === ErrorCode.FEATURE_MODULE_MISSING);
    if (missing.length > 0 && missing.length === problems.length) {
      const modules = missing.map((p) => /^(?:module|folder) "([^"]+)"/.exec(p.message)?.[1] ?? p.path);
      const before = this.waitingForModules.get(entry);
      this.waitingForModules.set(entry, modules);
      this.waiting.delete(entry);
      if (before === undefined || before.join() !== modules.join()) {
        this.logger.info(`${source} waits for ${modules.map((m) => `deploy/${m}`).join(', ')}, not in deploy/ yet: its features are added once ${modules.length === 1 ? 'it is' : 'they are'}`);
      }
      this.emit({ entry, action: 'waiting' });
      return;
    }
    this.waitingForModules.delete(entry);
    try {
      this.features.setDocument(document, problems);
    } catch (error) {
      this.waiting.add(entry);
      throw error;
    }
    this.waiting.delete(entry);
    // A module deployed on its own that these features name is theirs now: handed over, not a name clash.
    const claimed = this.features.moduleFiles();
    for (const [deployed, deployment] of [...this.deployments]) {
      if (!claimed.has(deployment.file)) continue;
      await this.undeploy(deployed);
      this.waiting.add(deployed);
      this.logger.info(`deploy/${deployed} is used by a feature of ${source} now; handed over to it`);
    }
    const auto = document.features.filter((f) => f.install === 'auto').map((f) => f.name);
    if (install && auto.length > 0) await this.features.install(auto);
    this.emit({ entry, action: 'features-added', features: document.features.map(featureId) });
    this.logger.info(`${source}: ${document.features.length} feature${document.features.length === 1 ? '' : 's'} added${install && auto.length > 0 ? `, installed ${auto.join(', ')}` : ''}`);
    this.revisitWaiting(entry);
  }

  /** Features files that waited for modules: added now if their modules are there (one may have just come). */
  private async addWaitingFeatures(install: boolean): Promise<void> {
    for (const entry of [...this.waitingForModules.keys()]) {
      try {
        await this.addFeatures(entry, join(this.folder, entry), install);
      } catch (error) {
        this.failed(entry, error);
        this.logger.error({ entry, err: error }, (error as Error).message);
      }
    }
  }

  private async removeFeatures(entry: string): Promise<void> {
    this.waiting.delete(entry);
    this.waitingForModules.delete(entry);
    const { uninstalled, kept } = await this.features.removeDocument(`deploy/${entry}`);
    this.emit({ entry, action: 'features-removed', features: uninstalled });
    this.logger.info(`deploy/${entry} removed: uninstalled ${uninstalled.join(', ') || 'nothing'}${kept.length > 0 ? `; still needed, kept: ${kept.join(', ')}` : ''}`);
    this.revisitWaiting(entry);
  }

  /** Whether a folder (without an index) holds modules that features name: it is theirs, not a module. */
  private async holdsFeatureModules(folder: string): Promise<boolean> {
    const real = await realpath(folder).catch(() => folder);
    return [...this.features.moduleFiles()].some((file) => file.startsWith(real + sep));
  }

  /** Features changed: features files refused before may fit now; modules left to features may be free. */
  private revisitWaiting(except: string): void {
    for (const entry of [...this.waiting]) if (entry !== except) void this.watcher.run(entry);
  }

  private emit(event: DeployEvent): void {
    this.listeners.emit(event);
  }

  private failed(entry: string, error: unknown): void {
    this.emit({ entry, action: 'failed', error: (error as Error).message, ...(LatticeError.is(error) && { code: error.code }) });
  }
}

function kindOf(entry: string): 'module' | 'features' | 'typescript' | undefined {
  if (entry.startsWith('.')) return undefined;
  if (entry.endsWith('.features.json')) return 'features';
  if (entry.endsWith('.js') || entry.endsWith('.mjs')) return 'module';
  if (/\.(?:ts|mts|cts|tsx)$/.test(entry) && !entry.endsWith('.d.ts')) return 'typescript';
  return undefined;
}

/** Why a folder in deploy/ is not deployed: it has no entry file (maybe only TypeScript). */
async function noIndexMessage(entry: string, path: string): Promise<string> {
  const names = await readdir(path).catch(() => [] as string[]);
  const typescript = names.some((name) => /^index\.(?:ts|mts|tsx)$/.test(name));
  return typescript
    ? `deploy/${entry}/ has an index.ts but no index.js: Node imports JavaScript only. Compile it (tsc, with "experimentalDecorators") so that deploy/${entry}/index.js exists.`
    : `deploy/${entry}/ has no index.js or index.mjs, so it is not deployed. A folder module's entry is its index.js; add one that exports the components.`;
}

/** The file to import for an entry: the file itself, or a folder's index.js / index.mjs. */
async function moduleFile(path: string, isFolder: boolean): Promise<string | undefined> {
  if (!isFolder) return path;
  for (const index of ['index.js', 'index.mjs']) {
    const candidate = join(path, index);
    if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  return undefined;
}
