import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { ComponentClass } from '../component/ComponentDescription.js';
import { getComponentDescription } from '../component/metadata.js';
import { featureId } from '../features/FeatureDefinition.js';
import type { FeatureService } from '../features/FeatureService.js';
import { readFeaturesFile } from '../features/readFeaturesFile.js';
import type { ModuleLoader } from './ModuleLoader.js';

/** What the deploy folder needs from the container. */
export interface DeployHost {
  register(...classes: ComponentClass[]): string[];
  unregister(name: string): Promise<void>;
  hasComponent(name: string): boolean;
  settled(): Promise<void>;
}

/** What happened to one entry of deploy/. */
export interface DeployEvent {
  /** The entry's name in deploy/ (a file, or a folder module). */
  readonly entry: string;
  readonly action: 'deployed' | 'redeployed' | 'undeployed' | 'failed' | 'skipped' | 'features-added' | 'features-removed';
  readonly components?: readonly string[];
  readonly features?: readonly string[];
  readonly error?: string;
}

type EntryKind = 'module' | 'features' | undefined;

interface Deployment {
  readonly components: readonly string[];
}

/**
 * The hot deploy folder, `<home>/deploy`: a module (`x.js`, `x.mjs`, or a folder with `index.js`) dropped
 * in is imported and its components registered; changed, it is re-imported and its components replaced;
 * deleted, its components are removed. `x.features.json` adds features (installing `"install": "auto"`
 * ones). Files are taken once their writes have settled (chokidar's awaitWriteFinish). A module that fails
 * to import is reported and changes nothing: an older version stays deployed.
 */
export class DeployWatcher {
  private readonly deployments = new Map<string, Deployment>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly listeners = new Set<(event: DeployEvent) => void>();
  private watcher: FSWatcher | undefined;
  private closed = false;

  constructor(
    private readonly folder: string,
    private readonly host: DeployHost,
    private readonly loader: ModuleLoader,
    private readonly features: FeatureService | undefined,
    private readonly logger: Logger,
    private readonly settleMs = 100,
  ) {}

  /** Deploys what the folder holds now, then watches it. */
  async start(): Promise<void> {
    this.closed = false;
    await mkdir(this.folder, { recursive: true });
    const entries = (await readdir(this.folder)).sort();
    // Features files first, so modules they own are known before modules are deployed directly.
    for (const entry of [...entries.filter((e) => kindOf(e) === 'features'), ...entries.filter((e) => kindOf(e) !== 'features')]) {
      await this.enqueue(entry);
    }
    const watcher = watch(this.folder, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: this.settleMs, pollInterval: Math.max(10, Math.floor(this.settleMs / 4)) },
      ignored: (path) => {
        const entry = this.entryOf(path);
        return entry !== undefined && entry.startsWith('.');
      },
    });
    this.watcher = watcher;
    const changed = (path: string): void => {
      const entry = this.entryOf(path);
      if (entry !== undefined) this.schedule(entry);
    };
    watcher.on('add', changed).on('change', changed).on('unlink', changed).on('addDir', changed).on('unlinkDir', changed);
    watcher.on('error', (error) => {
      this.logger.error({ err: error }, `watching ${this.folder} failed`);
    });
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    await this.watcher?.close();
    this.watcher = undefined;
    await Promise.all(this.chains.values());
  }

  onDeploy(listener: (event: DeployEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Component names deployed from each entry. */
  deployed(): Record<string, readonly string[]> {
    return Object.fromEntries([...this.deployments].map(([entry, d]) => [entry, d.components]));
  }

  /** The top-level entry of deploy/ that a path is in (undefined for the folder itself). */
  private entryOf(path: string): string | undefined {
    const rel = relative(this.folder, path);
    if (rel === '' || rel.startsWith('..')) return undefined;
    return rel.split(sep)[0];
  }

  private schedule(entry: string): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(entry));
    this.timers.set(
      entry,
      setTimeout(() => {
        this.timers.delete(entry);
        void this.enqueue(entry);
      }, 20),
    );
  }

  private enqueue(entry: string): Promise<void> {
    const next = (this.chains.get(entry) ?? Promise.resolve()).then(() => this.process(entry));
    this.chains.set(entry, next);
    return next;
  }

  private async process(entry: string): Promise<void> {
    if (this.closed) return;
    const path = join(this.folder, entry);
    const info = await stat(path).catch(() => undefined);
    try {
      if (kindOf(entry) === 'features') await (info ? this.addFeatures(entry, path) : this.removeFeatures(entry));
      else if (info?.isDirectory() || (info && kindOf(entry) === 'module')) {
        const file = await moduleFile(path, info.isDirectory());
        await (file === undefined ? this.undeploy(entry) : this.deploy(entry, file));
      } else await this.undeploy(entry);
    } catch (error) {
      this.emit({ entry, action: 'failed', error: (error as Error).message });
      this.logger.error({ entry }, (error as Error).message.startsWith(`deploy/${entry}`) ? (error as Error).message : `deploy/${entry}: ${(error as Error).message}`);
    }
  }

  private async deploy(entry: string, file: string): Promise<void> {
    if (this.features?.moduleFiles().includes(file)) {
      this.emit({ entry, action: 'skipped' });
      this.logger.info(`deploy/${entry} belongs to an installed feature; not deploying it on its own`);
      return;
    }
    const module = await this.loader.load(file);
    const previous = this.deployments.get(entry);
    const names = module.classes.map((c) => getComponentDescription(c).name);
    const taken = names.filter((name) => this.host.hasComponent(name) && !previous?.components.includes(name));
    if (taken.length > 0) throw new Error(`component name${taken.length === 1 ? '' : 's'} ${taken.join(', ')} already registered by something else; nothing changed`);
    if (previous) await Promise.all(previous.components.map((name) => this.host.unregister(name)));
    this.deployments.delete(entry);
    const registered = this.host.register(...module.classes);
    this.deployments.set(entry, { components: registered });
    await this.host.settled();
    this.emit({ entry, action: previous ? 'redeployed' : 'deployed', components: registered });
    this.logger.info(`deploy/${entry} ${previous ? 'redeployed' : 'deployed'}: ${registered.join(', ') || 'no components'}`);
  }

  private async undeploy(entry: string): Promise<void> {
    const previous = this.deployments.get(entry);
    if (!previous) return;
    this.deployments.delete(entry);
    await Promise.all(previous.components.map((name) => this.host.unregister(name)));
    this.emit({ entry, action: 'undeployed', components: previous.components });
    this.logger.info(`deploy/${entry} removed: ${previous.components.join(', ') || 'no components'}`);
  }

  private async addFeatures(entry: string, file: string): Promise<void> {
    if (!this.features) throw new Error('this container has no feature service; features files in deploy/ are ignored');
    const source = `deploy/${entry}`;
    const { document, problems } = await readFeaturesFile(file, { source, root: this.folder });
    this.features.setDocument(document, problems);
    const auto = document.features.filter((f) => f.install === 'auto').map((f) => f.name);
    if (auto.length > 0) await this.features.install(auto);
    this.emit({ entry, action: 'features-added', features: document.features.map(featureId) });
    this.logger.info(`${source}: ${document.features.length} features added${auto.length > 0 ? `, installed ${auto.join(', ')}` : ''}`);
  }

  private async removeFeatures(entry: string): Promise<void> {
    if (!this.features) return;
    const removed = this.features.removeDocument(`deploy/${entry}`);
    const installed = removed.filter((f) => this.features?.list().some((i) => i.name === f.name && i.installed));
    if (installed.length > 0) await this.features.uninstall(installed.map((f) => f.name), { force: true });
    this.emit({ entry, action: 'features-removed', features: removed.map(featureId) });
  }

  private emit(event: DeployEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

function kindOf(entry: string): EntryKind {
  if (entry.startsWith('.')) return undefined;
  if (entry.endsWith('.features.json')) return 'features';
  if (entry.endsWith('.js') || entry.endsWith('.mjs')) return 'module';
  return undefined;
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
