import type { Logger } from 'pino';
import type { ComponentClass } from '../component/ComponentDescription.js';
import { getComponentDescription } from '../component/metadata.js';
import type { ConfigAdmin } from '../config/ConfigAdmin.js';
import type { ModuleLoader } from '../deploy/ModuleLoader.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { ComponentInfo } from '../runtime/ComponentInfo.js';
import { FeatureCatalog, type FeatureRequest } from './FeatureCatalog.js';
import { featureId, formatProblem, type FeatureDefinition, type FeatureProblem, type FeaturesDocument } from './FeatureDefinition.js';
import type { FeatureStateFile } from './FeatureStateFile.js';
import type { FeatureDetails, FeatureInfo, FeatureTree, InstallProgress, InstallReport, UninstallReport } from './FeatureReports.js';

/** What the feature service needs from the container. */
export interface FeatureHost {
  readonly config: ConfigAdmin;
  register(...classes: ComponentClass[]): string[];
  unregister(name: string): Promise<void>;
  component(name: string): ComponentInfo;
  settled(): Promise<void>;
}

interface InstalledFeature {
  readonly definition: FeatureDefinition;
  /** Asked for by name (or boot), rather than pulled in as a dependency. */
  explicit: boolean;
  /** Names of the installed features it depends on directly. */
  readonly requires: readonly string[];
}

interface ModuleState {
  readonly file: string;
  readonly components: readonly string[];
  /** Names of the installed features that use the module. */
  readonly users: Set<string>;
}

/** States in which an installed component counts as up (delayed ones wait for a user; disabled ones for enable). */
const UP_STATES = new Set(['active', 'satisfied']);

/**
 * Installs and uninstalls features: resolves the closure, imports modules, applies the features'
 * configuration, registers components and waits for them, all or nothing. Remembers what the user
 * installed. Operations run one at a time.
 */
export class FeatureService {
  private catalog = new FeatureCatalog([]);
  private readonly documents = new Map<string, FeaturesDocument>();
  private readonly installed = new Map<string, InstalledFeature>();
  private readonly modules = new Map<string, ModuleState>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: FeatureHost,
    private readonly loader: ModuleLoader,
    private readonly logger: Logger,
    private readonly state: FeatureStateFile | undefined,
    private readonly installTimeoutMs = 120_000,
  ) {}

  /** Every feature known, from every features file. */
  get features(): FeatureCatalog {
    return this.catalog;
  }

  /**
   * Adds or replaces the features of one file. All its problems, and the problems it would cause
   * with the others, are reported at once; then nothing changes and the last good version stays.
   * @throws LatticeError FEATURES_INVALID with `details.problems`.
   */
  setDocument(document: FeaturesDocument, fileProblems: readonly FeatureProblem[] = []): void {
    const others = [...this.documents.entries()].filter(([key]) => key !== document.source).map(([, d]) => d);
    const candidate = new FeatureCatalog([...others, document]);
    const problems = [...fileProblems, ...candidate.problems()];
    if (problems.length > 0) {
      const kept = this.documents.has(document.source) ? '; the last good version stays in force' : '';
      throw new LatticeError(
        ErrorCode.FEATURES_INVALID,
        `${document.source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}${kept}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
        { file: document.source, problems },
      );
    }
    const before = this.catalog;
    this.documents.set(document.source, document);
    this.catalog = candidate;
    for (const [name, feature] of this.installed) {
      if (!this.catalog.find(name) && before.find(name)) {
        this.logger.warn(`feature ${featureId(feature.definition)} is installed but no longer defined in ${document.source}; it stays installed until uninstalled`);
      }
    }
  }

  /** Forgets the features of a file (a features file removed from deploy/). */
  removeDocument(source: string): FeatureDefinition[] {
    const document = this.documents.get(source);
    if (!document) return [];
    this.documents.delete(source);
    this.catalog = new FeatureCatalog([...this.documents.values()]);
    for (const problem of this.catalog.problems()) this.logger.warn(`after removing ${source}: ${formatProblem(problem)}`);
    return [...document.features];
  }

  /** Installs the boot features and those remembered from the last run, each on its own. */
  async restore(extra: readonly string[] = []): Promise<{ installed: string[]; failed: { name: string; error: string }[] }> {
    const remembered = (await this.state?.read()) ?? [];
    const names = [...new Set([...this.catalog.boot(), ...extra, ...remembered.map((r) => r.name)])];
    const installed: string[] = [];
    const failed: { name: string; error: string }[] = [];
    for (const name of names) {
      const version = remembered.find((r) => r.name === name)?.version;
      const request = version !== undefined && this.catalog.find(name, version) ? `${name}@${version}` : name;
      try {
        await this.install([request]);
        installed.push(name);
      } catch (error) {
        failed.push({ name, error: (error as Error).message });
        this.logger.error(`feature ${name} was not installed at start: ${(error as Error).message}`);
      }
    }
    return { installed, failed };
  }

  /**
   * Installs features and what they need. All or nothing: if a module fails to import or a component
   * does not come up, everything this install added is removed again.
   * @throws LatticeError FEATURE_NOT_FOUND, FEATURE_CYCLE, FEATURE_INSTALL_FAILED
   */
  install(names: readonly string[], options: { dryRun?: boolean; onProgress?: (progress: InstallProgress) => void } = {}): Promise<InstallReport> {
    return this.serialise(() => this.doInstall(names, options));
  }

  /**
   * Uninstalls features, and the features that were installed only for them.
   * @throws LatticeError FEATURE_NOT_INSTALLED; FEATURE_REQUIRED when other installed features need
   *   them, unless `force` (which uninstalls those too).
   */
  uninstall(names: readonly string[], options: { force?: boolean } = {}): Promise<UninstallReport> {
    return this.serialise(() => this.doUninstall(names, options));
  }

  /** Every feature: each defined version, and installed ones no longer defined. */
  list(): FeatureInfo[] {
    const boot = new Set(this.catalog.boot());
    const defined = this.catalog.all();
    const orphans = [...this.installed.values()].map((i) => i.definition).filter((d) => !defined.some((f) => featureId(f) === featureId(d)));
    return [...defined, ...orphans].map((definition) => this.infoOf(definition, boot));
  }

  /** One feature in detail (the installed version, else the highest). @throws LatticeError FEATURE_NOT_FOUND */
  info(name: string): FeatureDetails {
    const [requestName, range] = splitRequest(name);
    const installed = this.installed.get(requestName);
    const definition = installed && (range === undefined || installed.definition.version === range) ? installed.definition : this.catalog.find(requestName, range);
    if (!definition) throw this.notFound(name);
    const modules = definition.modules.map((m) => m.path);
    const components = installed
      ? definition.modules.flatMap((m) => this.modules.get(m.file)?.components ?? []).map((c) => ({ name: c, state: this.host.component(c).state }))
      : [];
    return {
      ...this.infoOf(definition, new Set(this.catalog.boot())),
      dependencies: this.tree(definition, new Set()),
      modules,
      components,
      config: Object.keys(definition.config),
    };
  }

  /** The module files installed features loaded (deploy/ leaves these alone). */
  moduleFiles(): string[] {
    return [...this.modules.keys()];
  }

  // ---- install ----

  private async doInstall(names: readonly string[], options: { dryRun?: boolean; onProgress?: (progress: InstallProgress) => void }): Promise<InstallReport> {
    const requests = names.map((n): FeatureRequest => {
      const [name, range] = splitRequest(n);
      return { name, ...(range !== undefined && { range }) };
    });
    for (const request of requests) if (!this.catalog.find(request.name, request.range)) throw this.notFound(request.range ? `${request.name}@${request.range}` : request.name);
    const { features, problems } = this.catalog.closure(requests);
    if (problems.length > 0) {
      throw new LatticeError(ErrorCode.FEATURE_INSTALL_FAILED, `Cannot install ${names.join(', ')}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { features: [...names] });
    }
    for (const feature of features) {
      const other = this.installed.get(feature.name);
      if (other && other.definition.version !== feature.version) {
        throw new LatticeError(
          ErrorCode.FEATURE_INSTALL_FAILED,
          `Cannot install ${featureId(feature)}: ${featureId(other.definition)} is installed. Uninstall it first to change versions.`,
          { feature: featureId(feature) },
        );
      }
    }
    const requested = new Set(requests.map((r) => r.name));
    const toInstall = features.filter((f) => !this.installed.has(f.name));
    const moduleFiles = [...new Set(toInstall.flatMap((f) => f.modules.map((m) => m.file)))].filter((file) => !this.modules.has(file));
    const configs = toInstall.flatMap((f) => Object.entries(f.config)).filter(([pid]) => this.host.config.get(pid) === undefined);
    const plan = {
      dryRun: options.dryRun === true,
      features: features.map((f) => ({ name: f.name, version: f.version, alreadyInstalled: this.installed.has(f.name) })),
      modules: moduleFiles,
      configs: [...new Set(configs.map(([pid]) => pid))],
    };

    const progress = options.onProgress ?? (() => undefined);
    const loaded: { file: string; classes: readonly ComponentClass[] }[] = [];
    for (const file of moduleFiles) {
      progress({ phase: 'importing', module: file });
      try {
        loaded.push(await this.loader.load(file));
      } catch (error) {
        throw new LatticeError(ErrorCode.FEATURE_INSTALL_FAILED, `Cannot install ${names.join(', ')}: ${(error as Error).message}. Nothing was installed.`, { features: [...names] }, { cause: error });
      }
    }
    const componentNames = loaded.flatMap((m) => m.classes.map((c) => componentName(c)));
    if (options.dryRun) return { ...plan, components: componentNames.map((name) => ({ name, state: 'not installed' })) };

    // From here on, every change is undone if the install fails.
    const createdConfigs: string[] = [];
    const registered: string[] = [];
    const rollback = async (): Promise<void> => {
      await Promise.all(registered.map((name) => this.host.unregister(name).catch(() => undefined)));
      for (const pid of createdConfigs) await this.host.config.delete(pid).catch(() => undefined);
    };
    try {
      for (const [pid, values] of configs) {
        if (createdConfigs.includes(pid)) continue;
        progress({ phase: 'configuring', pid });
        await this.host.config.update(pid, { ...values });
        createdConfigs.push(pid);
      }
      for (const module of loaded) {
        progress({ phase: 'registering', module: module.file });
        registered.push(...this.host.register(...module.classes));
      }
      progress({ phase: 'activating', waitingFor: registered.filter((c) => !UP_STATES.has(this.host.component(c).state)) });
      await this.settle();
      const down = registered.map((name) => this.host.component(name)).filter((c) => !UP_STATES.has(c.state) && c.enabled);
      if (down.length > 0) {
        throw new LatticeError(
          ErrorCode.FEATURE_INSTALL_FAILED,
          `Cannot install ${names.join(', ')}: ${down.length} component${down.length === 1 ? ' did' : 's did'} not come up, so the install was undone:\n${down
            .map((c) => `  - ${c.name} is ${c.state}: ${c.why.join(' ')}`)
            .join('\n')}`,
          { features: [...names], components: down.map((c) => ({ name: c.name, state: c.state, why: c.why, ...(c.failure && { failure: c.failure }) })) },
        );
      }
    } catch (error) {
      await rollback();
      if (LatticeError.is(error, ErrorCode.FEATURE_INSTALL_FAILED)) throw error;
      throw new LatticeError(ErrorCode.FEATURE_INSTALL_FAILED, `Cannot install ${names.join(', ')}: ${(error as Error).message}. The install was undone.`, { features: [...names] }, { cause: error });
    }

    for (const module of loaded) {
      this.modules.set(module.file, { file: module.file, components: module.classes.map(componentName), users: new Set() });
    }
    for (const feature of toInstall) {
      this.installed.set(feature.name, { definition: feature, explicit: requested.has(feature.name), requires: this.catalog.dependenciesOf(feature).map((d) => d.name) });
      for (const m of feature.modules) this.modules.get(m.file)?.users.add(feature.name);
    }
    for (const name of requested) {
      const feature = this.installed.get(name);
      if (feature) feature.explicit = true;
    }
    await this.remember();
    const report = { ...plan, components: registered.map((name) => ({ name, state: this.host.component(name).state })) };
    this.logger.info(`installed ${features.filter((f) => !this.installedBefore(f, plan)).map(featureId).join(', ') || 'nothing new'} (${registered.length} components)`);
    return report;
  }

  private installedBefore(feature: FeatureDefinition, plan: { features: { name: string; alreadyInstalled: boolean }[] }): boolean {
    return plan.features.some((f) => f.name === feature.name && f.alreadyInstalled);
  }

  /** Waits for the container to be quiet, within the install timeout. */
  private async settle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.installTimeoutMs);
    });
    await Promise.race([this.host.settled(), timeout]);
    clearTimeout(timer);
  }

  // ---- uninstall ----

  private async doUninstall(names: readonly string[], options: { force?: boolean }): Promise<UninstallReport> {
    const targets = new Set<string>();
    for (const raw of names) {
      const [name] = splitRequest(raw);
      if (!this.installed.has(name)) {
        const list = [...this.installed.keys()].join(', ') || 'none';
        throw new LatticeError(ErrorCode.FEATURE_NOT_INSTALLED, `Feature "${name}" is not installed (installed: ${list}).`, { feature: name });
      }
      targets.add(name);
    }
    const dependents = [...this.installed.keys()].filter((name) => !targets.has(name) && [...this.requiredBy(name)].some((n) => targets.has(n)));
    if (dependents.length > 0 && !options.force) {
      const needs = dependents.map((d) => `${d} needs ${[...this.requiredBy(d)].filter((n) => targets.has(n)).join(', ')}`).join('; ');
      throw new LatticeError(
        ErrorCode.FEATURE_REQUIRED,
        `Cannot uninstall ${[...targets].join(', ')}: installed features need ${targets.size === 1 ? 'it' : 'them'} (${needs}). Uninstall ${dependents.join(', ')} first, or force it to uninstall them too.`,
        { features: [...targets], requiredBy: dependents },
      );
    }
    for (const d of dependents) targets.add(d);
    // What stays: the features still asked for, and everything they need.
    const keep = new Set<string>();
    for (const [name, feature] of this.installed) {
      if (feature.explicit && !targets.has(name)) for (const n of [name, ...this.requiredBy(name)]) keep.add(n);
    }
    const removed = [...this.installed.keys()].filter((name) => !keep.has(name));
    const removedSet = new Set(removed);
    const components: string[] = [];
    for (const [file, module] of this.modules) {
      for (const user of [...module.users]) if (removedSet.has(user)) module.users.delete(user);
      if (module.users.size === 0) {
        components.push(...module.components);
        this.modules.delete(file);
      }
    }
    // All at once: each provider waits for its consumers, so they go in reverse dependency order.
    await Promise.all(components.map((name) => this.host.unregister(name)));
    const ids = removed.map((name) => featureId((this.installed.get(name) as InstalledFeature).definition));
    for (const name of removed) this.installed.delete(name);
    await this.remember();
    this.logger.info(`uninstalled ${ids.join(', ')} (${components.length} components)`);
    return { uninstalled: ids, components };
  }

  /** Every installed feature `name` needs, directly or not. */
  private requiredBy(name: string): Set<string> {
    const found = new Set<string>();
    const stack = [...(this.installed.get(name)?.requires ?? [])];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (found.has(next)) continue;
      found.add(next);
      stack.push(...(this.installed.get(next)?.requires ?? []));
    }
    return found;
  }

  // ---- views ----

  private infoOf(definition: FeatureDefinition, boot: Set<string>): FeatureInfo {
    const installed = this.installed.get(definition.name);
    const isInstalled = installed?.definition.version === definition.version;
    const requiredBy = isInstalled ? [...this.installed.keys()].filter((n) => this.installed.get(n)?.requires.includes(definition.name)) : [];
    return {
      name: definition.name,
      version: definition.version,
      description: definition.description,
      installed: isInstalled,
      ...(isInstalled && { installedAs: installed.explicit ? 'requested' : 'dependency' }),
      requiredBy,
      boot: boot.has(definition.name),
      source: definition.source,
    };
  }

  private tree(definition: FeatureDefinition, seen: Set<string>): FeatureTree[] {
    return this.catalog.dependenciesOf(definition).map((dep) => {
      const id = featureId(dep);
      const cycle = seen.has(id);
      return {
        name: dep.name,
        version: dep.version,
        installed: this.installed.get(dep.name)?.definition.version === dep.version,
        dependencies: cycle ? [] : this.tree(dep, new Set([...seen, id])),
      };
    });
  }

  private notFound(name: string): LatticeError {
    const known = [...new Set(this.catalog.all().map((f) => f.name))];
    return new LatticeError(ErrorCode.FEATURE_NOT_FOUND, `No feature "${name}". Known features: ${known.join(', ') || 'none'}.`, { feature: name });
  }

  private async remember(): Promise<void> {
    const explicit = [...this.installed.values()].filter((f) => f.explicit).map((f) => ({ name: f.definition.name, version: f.definition.version }));
    await this.state?.write(explicit);
  }

  private serialise<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** `name` or `name@range`. */
function splitRequest(request: string): [string, string | undefined] {
  const at = request.indexOf('@', 1);
  return at < 0 ? [request, undefined] : [request.slice(0, at), request.slice(at + 1)];
}

function componentName(c: ComponentClass): string {
  return getComponentDescription(c).name;
}
