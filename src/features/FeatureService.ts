import type { Logger } from 'pino';
import semver from 'semver';
import type { ComponentClass } from '../component/ComponentDescription.js';
import { getComponentDescription } from '../component/describeComponentClass.js';
import type { ConfigAdmin } from '../config/ConfigAdmin.js';
import type { ModuleLoader } from '../deploy/ModuleLoader.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { sentence } from '../errors/sentence.js';
import type { ComponentInfo } from '../runtime/ComponentInfo.js';
import { FeatureCatalog, type FeatureRequest } from './FeatureCatalog.js';
import { featureId, formatProblem, type FeatureDefinition, type FeatureProblem, type FeaturesDocument } from './FeatureDefinition.js';
import type { FeatureDetails, FeatureInfo, FeatureTree, InstallProgress, InstallReport, InstallTiming, UninstallReport } from './FeatureReports.js';
import type { FeatureStateFile } from './FeatureStateFile.js';
import { SnapshotSet } from '../collections/SnapshotSet.js';

/** What the feature service needs from the container. */
export interface FeatureHost {
  readonly config: ConfigAdmin;
  /** False once the container is stopping. */
  readonly running: boolean;
  register(...classes: ComponentClass[]): string[];
  unregister(...names: string[]): Promise<void>;
  component(name: string): ComponentInfo;
  hasComponent(name: string): boolean;
  settled(): Promise<void>;
}

/** Why a feature is installed. */
type Reason = 'user' | 'boot' | 'dependency';

/** How many installs' timings are kept. */
const MAX_TIMINGS = 100;

const round = (ms: number): number => Math.round(ms * 100) / 100;

interface InstalledFeature {
  readonly definition: FeatureDefinition;
  /** Asked for by name (by the user, or at boot): it keeps what it requires installed. */
  explicit: boolean;
  /** Asked for by the user: remembered in data/features.json and installed again at the next start. */
  remembered: boolean;
  /** Names of the installed features it depends on directly (as resolved when it was installed). */
  readonly requires: readonly string[];
}

interface ModuleState {
  readonly components: readonly string[];
  /** Names of the installed features that use the module. */
  readonly users: Set<string>;
}

/** States in which an installed component counts as up (a delayed one waits for a user). */
const UP_STATES = new Set(['active', 'satisfied']);

/**
 * Installs and uninstalls features: resolves the closure, imports modules, applies the features'
 * configuration, registers components and waits for them, all or nothing. Remembers what the user
 * installed. Operations run one at a time.
 */
/** States whose explanation ends with advice for a component that stays registered. */
const ADVISING_STATES: ReadonlySet<string> = new Set(['failed-activation', 'unsatisfied-configuration']);

export class FeatureService {
  /** What restore() could not install, and why. */
  private notInstalledAtStart: { name: string; error: string }[] = [];
  private catalog = new FeatureCatalog([]);
  private readonly documents = new Map<string, FeaturesDocument>();
  private readonly installed = new Map<string, InstalledFeature>();
  private readonly modules = new Map<string, ModuleState>();
  /** Remembered from the last run but not installed (yet): kept in data/features.json until uninstalled. */
  private readonly pending = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;
  private readonly countsValue = { installs: 0, installFailures: 0, uninstalls: 0 };
  /** The latest installs' timings, oldest first (at most MAX_TIMINGS). */
  private readonly timingsValue: InstallTiming[] = [];
  private readonly timingListeners = new SnapshotSet<(timing: InstallTiming) => void>();

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

  /** Accepts operations (again, after a close). */
  open(): void {
    this.closing = false;
  }

  /**
   * Refuses new operations and resolves when the one in progress has finished (an install interrupted by
   * the container stopping ends in its rollback).
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.queue;
  }

  /**
   * Adds or replaces the features of one file. Its problems, and the problems it would cause with the
   * others (not those that were there before it), are reported at once; then nothing changes and the
   * last good version stays.
   * @throws LatticeError FEATURES_INVALID with `details.problems`.
   */
  setDocument(document: FeaturesDocument, fileProblems: readonly FeatureProblem[] = []): void {
    const others = [...this.documents.values()].filter((d) => d.source !== document.source);
    const before = new Set(new FeatureCatalog(others).problems().map(formatProblem));
    const candidate = new FeatureCatalog([...others, document]);
    const problems = [...fileProblems, ...candidate.problems().filter((p) => !before.has(formatProblem(p)))];
    if (problems.length > 0) {
      const kept = this.documents.has(document.source) ? '; the last good version stays in force' : '';
      throw new LatticeError(
        ErrorCode.FEATURES_INVALID,
        `${document.source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}${kept}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
        { file: document.source, problems },
      );
    }
    const previous = this.catalog;
    this.documents.set(document.source, document);
    this.catalog = candidate;
    for (const [name, feature] of this.installed) {
      if (!this.catalog.find(name) && previous.find(name)) {
        this.logger.warn(`feature ${featureId(feature.definition)} is installed but no longer defined in ${document.source}; it stays installed until uninstalled`);
      }
    }
  }

  /**
   * Forgets the features of a file (a features file removed from deploy/) and uninstalls those of its
   * features that are installed, unless other installed features need them: those stay, and are reported.
   */
  removeDocument(source: string): Promise<{ uninstalled: string[]; kept: string[] }> {
    return this.serialise(async () => {
      if (!this.documents.delete(source)) return { uninstalled: [], kept: [] };
      this.catalog = new FeatureCatalog([...this.documents.values()]);
      const mine = [...this.installed.values()].filter((f) => f.definition.source === source).map((f) => f.definition.name);
      const uninstalled: string[] = [];
      const kept: string[] = [];
      for (const name of mine) {
        if (!this.installed.has(name)) continue;
        try {
          uninstalled.push(...(await this.doUninstall([name], {})).uninstalled);
        } catch (error) {
          kept.push(name);
          this.logger.warn(`feature ${name} from ${source} stays installed: ${(error as Error).message}`);
        }
      }
      return { uninstalled, kept };
    });
  }

  /** Installs the boot features, then those the user installed before the last stop, each on its own. */
  /** Features that should have been installed at start and were not, and why, until they are installed. */
  failedAtStart(): { name: string; error: string }[] {
    return this.notInstalledAtStart.filter((f) => !this.installed.has(f.name.split('@')[0] ?? f.name));
  }

  async restore(extra: readonly string[] = []): Promise<{ installed: string[]; failed: { name: string; error: string }[] }> {
    // Asked for at this start (--features): a name that is nowhere is a mistake to say before anything starts.
    const unknown = extra.map((name) => this.catalog.unknown(name)).filter((why) => why !== undefined);
    if (unknown.length > 0) throw new LatticeError(ErrorCode.FEATURE_NOT_FOUND, `Cannot start: the features to install at start name ${unknown.join('; ')}.`, { features: [...extra] });
    for (const r of (await this.state?.read()) ?? []) this.pending.set(r.name, r.version);
    const installed: string[] = [];
    const failed: { name: string; error: string }[] = [];
    // Shown by status while it is going on, too.
    this.notInstalledAtStart = failed;
    const attempt = async (request: string, reason: Reason): Promise<void> => {
      try {
        await this.serialise(() => this.doInstall([request], {}, reason));
        installed.push(request);
      } catch (error) {
        failed.push({ name: request, error: (error as Error).message });
        this.logger.error(`feature ${request} was not installed at start: ${(error as Error).message}`);
      }
    };
    for (const name of [...new Set([...this.catalog.boot(), ...extra])]) {
      if (this.host.running) await attempt(name, 'boot');
    }
    // Remembered, but defined nowhere now: its features file went while the container was stopped (as if
    // removed while running, which uninstalls it), so it is forgotten rather than failing every start.
    const gone = [...this.pending.keys()].filter((name) => this.catalog.unknown(name) !== undefined);
    for (const name of gone) {
      this.pending.delete(name);
      this.logger.warn(`feature ${name} was installed before, but no features file defines it now (was its file removed?): forgotten; install it again once a features file defines it`);
    }
    if (gone.length > 0) await this.remember();
    // A feature both boot and remembered (installed by hand after a start that failed to) is tried once, if
    // the version remembered is the one that failed (another may well install).
    const failedAtBoot = new Set(
      failed.map((f) => {
        const [name, range] = splitRequest(f.name);
        return `${name}@${this.catalog.find(name, range)?.version ?? range ?? ''}`;
      }),
    );
    for (const [name, version] of [...this.pending]) {
      if (!this.host.running || this.installed.get(name)?.remembered || failedAtBoot.has(`${name}@${version}`)) continue;
      await attempt(this.catalog.find(name, version) ? `${name}@${version}` : name, 'user');
    }
    return { installed, failed };
  }

  /**
   * Installs features and what they need. All or nothing: if a module fails to import or a component
   * does not come up, everything this install added is removed again. A dry run imports the modules (to
   * list their components) but registers and writes nothing.
   * @throws LatticeError FEATURE_NOT_FOUND, FEATURE_INSTALL_FAILED, CONTAINER_STOPPED
   */
  install(names: readonly string[], options: { dryRun?: boolean; onProgress?: (progress: InstallProgress) => void } = {}): Promise<InstallReport> {
    return this.serialise(() => this.doInstall(names, options, 'user'));
  }

  /**
   * Uninstalls features, and the features that were installed only for them.
   * @throws LatticeError FEATURE_NOT_INSTALLED; FEATURE_REQUIRED when other installed features need
   *   them, unless `force` (which uninstalls those too).
   */
  uninstall(names: readonly string[], options: { force?: boolean } = {}): Promise<UninstallReport> {
    return this.serialise(() => this.doUninstall(names, options));
  }

  /** How the latest installs went, oldest first: the boot's, and those since (for `lattice status --timing`). */
  timings(): readonly InstallTiming[] {
    return this.timingsValue;
  }

  /** Calls `listener` with each install's timing as it finishes; returns the function that stops it. */
  onInstallTimed(listener: (timing: InstallTiming) => void): () => void {
    this.timingListeners.add(listener);
    return () => {
      this.timingListeners.delete(listener);
    };
  }

  private recordTiming(timing: InstallTiming): void {
    if (timing.features.length === 0) return;
    this.timingsValue.push(timing);
    if (this.timingsValue.length > MAX_TIMINGS) this.timingsValue.shift();
    for (const listener of this.timingListeners.snapshot()) {
      try {
        listener(timing);
      } catch (error) {
        this.logger.warn({ err: error }, `a listener of install timings threw: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Install operations that succeeded and failed (one per install asked for, whatever the number of features
   * in it; dry runs aside), and uninstall operations (a features file removed from deploy/ included), since
   * the container was made: for metrics.
   */
  get counts(): Readonly<{ installs: number; installFailures: number; uninstalls: number }> {
    return this.countsValue;
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
    const isInstalled = installed?.definition === definition;
    const components = isInstalled
      ? definition.modules.flatMap((m) => this.modules.get(m.file)?.components ?? []).map((c) => ({ name: c, state: this.host.hasComponent(c) ? this.host.component(c).state : 'removed' }))
      : [];
    return {
      ...this.infoOf(definition, new Set(this.catalog.boot())),
      dependencies: this.tree(definition, new Set()),
      modules: definition.modules.map((m) => m.path),
      components,
      config: Object.keys(definition.config),
    };
  }

  /** Module files that features use or may use (deploy/ leaves these to the features). */
  moduleFiles(): Set<string> {
    const files = new Set(this.modules.keys());
    for (const feature of this.catalog.all()) for (const m of feature.modules) files.add(m.file);
    return files;
  }

  // ---- install ----

  /** Installs, counted (see `counts`). */
  private async doInstall(names: readonly string[], options: { dryRun?: boolean; onProgress?: (progress: InstallProgress) => void }, reason: Reason): Promise<InstallReport> {
    if (options.dryRun === true) return this.installNow(names, options, reason);
    try {
      const report = await this.installNow(names, options, reason);
      this.countsValue.installs++;
      return report;
    } catch (error) {
      this.countsValue.installFailures++;
      throw error;
    }
  }

  private async installNow(names: readonly string[], options: { dryRun?: boolean; onProgress?: (progress: InstallProgress) => void }, reason: Reason): Promise<InstallReport> {
    const requests = names.map((n): FeatureRequest => {
      const [name, range] = splitRequest(n);
      return { name, ...(range !== undefined && { range }) };
    });
    const installedVersion = (name: string): string | undefined => this.installed.get(name)?.definition.version;
    for (const request of requests) {
      if (request.range !== undefined && semver.validRange(request.range) === null) {
        throw new LatticeError(
          ErrorCode.FEATURE_NOT_FOUND,
          `"${request.range}" is not a version range. Ask for ${request.name}@1.2.0, ${request.name}@^1.0.0 (any semver range), or just ${request.name} for the highest version.`,
          { feature: request.name, range: request.range },
        );
      }
      if (!this.catalog.find(request.name, request.range)) throw this.notFound(request.range ? `${request.name}@${request.range}` : request.name);
    }
    const { features, requires, problems } = this.catalog.closure(requests, installedVersion);
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
    const started = { at: new Date(), ms: performance.now() };
    const imports: { file: string; startedAt: string; ms: number }[] = [];
    for (const file of moduleFiles) {
      progress({ phase: 'importing', module: file });
      try {
        const importStarted = { at: new Date(), ms: performance.now() };
        const module = await this.loader.load(file);
        imports.push({ file, startedAt: importStarted.at.toISOString(), ms: round(performance.now() - importStarted.ms) });
        if (module.classes.length === 0) this.logger.warn({ file }, `module ${file} exports no @Component class: it adds no components to ${names.join(', ')}`);
        loaded.push(module);
      } catch (error) {
        throw new LatticeError(ErrorCode.FEATURE_INSTALL_FAILED, `Cannot install ${names.join(', ')}: ${sentence((error as Error).message)} Nothing was installed.`, { features: [...names] }, { cause: error });
      }
    }
    if (options.dryRun) {
      return { ...plan, components: loaded.flatMap((m) => m.classes.map((c) => ({ name: getComponentDescription(c).name, state: 'not installed' }))) };
    }

    // From here on, every change is undone if the install fails.
    const createdConfigs = new Map<string, Record<string, unknown>>();
    const registered: string[] = [];
    const rollback = async (): Promise<void> => {
      await this.host.unregister(...registered.filter((name) => this.host.hasComponent(name))).catch((error: unknown) => {
        this.logger.error({ err: error }, 'undoing an install: its components could not all be unregistered');
      });
      for (const [pid, values] of createdConfigs) await this.host.config.deleteIfUnchanged(pid, values).catch(() => false);
    };
    try {
      for (const [pid, values] of configs) {
        if (createdConfigs.has(pid)) continue;
        progress({ phase: 'configuring', pid });
        if (await this.host.config.create(pid, { ...values })) createdConfigs.set(pid, { ...values });
      }
      for (const module of loaded) {
        progress({ phase: 'registering', module: module.file });
        registered.push(...this.host.register(...module.classes));
      }
      await this.settle(registered, progress);
      if (!this.host.running) {
        throw new LatticeError(ErrorCode.CONTAINER_STOPPED, `The container stopped while ${names.join(', ')} was being installed; the install was undone.`);
      }
      const down = registered.map((name) => this.host.component(name)).filter((c) => !UP_STATES.has(c.state) && c.enabled);
      if (down.length > 0) {
        throw new LatticeError(
          ErrorCode.FEATURE_INSTALL_FAILED,
          `Cannot install ${names.join(', ')}: ${down.length} component${down.length === 1 ? ' did' : 's did'} not come up, so the install was undone:\n${down
            // The component's own advice (enable or restart it, fix its configuration and it picks it up) does
            // not apply: it is gone with the install.
            .map((c) => `  - ${c.name} is ${c.state}: ${ADVISING_STATES.has(c.state) ? sentence(c.why[0] ?? '') : c.why.join(' ')}`)
            .join('\n')}\nFix the cause, then install ${names.length === 1 ? 'it' : 'them'} again.`,
          { features: [...names], components: down.map((c) => ({ name: c.name, state: c.state, why: c.why, ...(c.failure && { failure: c.failure }) })) },
        );
      }
    } catch (error) {
      await rollback();
      if (LatticeError.is(error)) throw error;
      throw new LatticeError(ErrorCode.FEATURE_INSTALL_FAILED, `Cannot install ${names.join(', ')}: ${sentence((error as Error).message)} The install was undone.`, { features: [...names] }, { cause: error });
    }

    for (const module of loaded) {
      this.modules.set(module.file, { components: module.classes.map((c) => getComponentDescription(c).name), users: new Set() });
    }
    for (const feature of toInstall) {
      this.installed.set(feature.name, { definition: feature, explicit: false, remembered: false, requires: requires.get(feature) ?? [] });
      for (const m of feature.modules) this.modules.get(m.file)?.users.add(feature.name);
    }
    for (const name of requested) {
      const feature = this.installed.get(name);
      if (!feature) continue;
      feature.explicit = feature.explicit || reason !== 'dependency';
      feature.remembered = feature.remembered || reason === 'user';
      this.pending.delete(name);
    }
    await this.remember();
    const added = features.filter((f) => toInstall.includes(f));
    this.recordTiming({
      features: added.map(featureId),
      reason,
      startedAt: started.at.toISOString(),
      ms: round(performance.now() - started.ms),
      modules: imports,
      components: registered.map((name) => {
        const c = this.host.component(name);
        const after = [...new Set(c.references.flatMap((r) => r.bound.flatMap((b) => (b.component === undefined ? [] : [b.component]))))];
        return { name, state: c.state, ...(c.activationMs !== undefined && { activationMs: c.activationMs }), ...(c.activatedAt !== undefined && { activatedAt: c.activatedAt }), after };
      }),
    });
    this.logger.info(`installed ${added.map(featureId).join(', ') || 'nothing new'} (${registered.length} component${registered.length === 1 ? '' : 's'})`);
    return { ...plan, configs: [...createdConfigs.keys()], components: registered.map((name) => ({ name, state: this.host.component(name).state })) };
  }

  /**
   * Waits for the container to be quiet, within the install timeout, telling `progress` now and every
   * half second which of the new components it is still waiting for.
   */
  private async settle(components: readonly string[], progress: (progress: InstallProgress) => void): Promise<void> {
    const waiting = (): string[] => components.filter((c) => this.host.hasComponent(c) && !UP_STATES.has(this.host.component(c).state));
    progress({ phase: 'activating', waitingFor: waiting() });
    const ticker = setInterval(() => {
      progress({ phase: 'activating', waitingFor: waiting() });
    }, 500);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.installTimeoutMs);
    });
    try {
      await Promise.race([this.host.settled(), timeout]);
    } finally {
      clearInterval(ticker);
      clearTimeout(timer);
    }
  }

  // ---- uninstall ----

  private async doUninstall(names: readonly string[], options: { force?: boolean }): Promise<UninstallReport> {
    const targets = new Set<string>();
    const forgotten: string[] = [];
    for (const raw of names) {
      const [name] = splitRequest(raw);
      if (this.installed.has(name)) targets.add(name);
      else if (this.pending.has(name)) {
        // Remembered from the last run but never installed this time: uninstalling it forgets it.
        forgotten.push(`${name}@${this.pending.get(name) ?? ''}`);
        this.pending.delete(name);
      } else {
        const list = [...this.installed.keys()].join(', ') || 'none';
        throw new LatticeError(ErrorCode.FEATURE_NOT_INSTALLED, `Feature "${name}" is not installed (installed: ${list}).`, { feature: name });
      }
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
    const goingModules = [...this.modules].filter(([, module]) => [...module.users].every((user) => removedSet.has(user)));
    const components = goingModules.flatMap(([, module]) => module.components);
    // Together, consumers first (reverse dependency order). A component already gone (unregistered by
    // hand) is not an error.
    await this.host.unregister(...components.filter((name) => this.host.hasComponent(name))).catch((error: unknown) => {
      this.logger.error({ err: error }, 'components of an uninstalled feature could not all be unregistered');
    });
    for (const [file] of goingModules) this.modules.delete(file);
    for (const module of this.modules.values()) for (const user of removed) module.users.delete(user);
    const ids = removed.map((name) => featureId((this.installed.get(name) as InstalledFeature).definition));
    for (const name of removed) this.installed.delete(name);
    await this.remember();
    this.countsValue.uninstalls++;
    this.logger.info(`uninstalled ${[...ids, ...forgotten].join(', ')} (${components.length} component${components.length === 1 ? '' : 's'})`);
    return { uninstalled: [...ids, ...forgotten], components };
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
      return {
        name: dep.name,
        version: dep.version,
        installed: this.installed.get(dep.name)?.definition.version === dep.version,
        dependencies: seen.has(id) ? [] : this.tree(dep, new Set([...seen, id])),
      };
    });
  }

  private notFound(request: string): LatticeError {
    const [name, range] = splitRequest(request);
    const versions = [...new Set(this.catalog.all().filter((f) => f.name === name).map((f) => f.version))].sort(semver.compare);
    if (range !== undefined && versions.length > 0) {
      return new LatticeError(
        ErrorCode.FEATURE_NOT_FOUND,
        `Feature "${name}" has no version in the range ${range}: the versions defined are ${versions.join(', ')}. ` +
          `Ask for one of those (${name}@${versions[versions.length - 1] ?? ''}, or ${name} for the highest), or define a version in the range.`,
        { feature: name, range, versions },
      );
    }
    const known = [...new Set(this.catalog.all().map((f) => f.name))];
    return new LatticeError(ErrorCode.FEATURE_NOT_FOUND, `No feature "${request}". Known features: ${known.join(', ') || 'none'}.`, { feature: request });
  }

  /** Writes what the user installed (and what is remembered but not installed yet) to data/. */
  private async remember(): Promise<void> {
    const remembered = [...this.installed.values()].filter((f) => f.remembered).map((f) => ({ name: f.definition.name, version: f.definition.version }));
    const pending = [...this.pending].filter(([name]) => !this.installed.has(name)).map(([name, version]) => ({ name, version }));
    await this.state?.write([...remembered, ...pending]);
  }

  private serialise<T>(operation: () => Promise<T>): Promise<T> {
    const guarded = (): Promise<T> =>
      this.closing ? Promise.reject(new LatticeError(ErrorCode.CONTAINER_STOPPED, 'The container is stopping; features cannot be installed or uninstalled now.')) : operation();
    const run = this.queue.then(guarded, guarded);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** `name` or `name@range`. */
function splitRequest(request: string): [string, string | undefined] {
  const at = request.indexOf('@', 1);
  return at < 0 ? [request, undefined] : [request.slice(0, at), request.slice(at + 1)];
}
