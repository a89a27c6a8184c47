import type { Logger } from 'pino';
import semver from 'semver';
import { SerialQueue } from '../async/SerialQueue.js';
import { Listeners } from '../collections/Listeners.js';
import { getComponentDescription } from '../component/describeComponentClass.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { FeatureCatalog, type FeatureRequest } from './FeatureCatalog.js';
import { featureId, formatProblem, type FeatureProblem, type FeaturesDocument } from './FeatureDefinition.js';
import type { FeatureDetails, FeatureInfo, InstallProgress, InstallReport, InstallTiming, UninstallReport } from './FeatureReports.js';
import type { FeatureStateFile } from './FeatureStateFile.js';
import { InstalledFeatures, type InstallReason } from './InstalledFeatures.js';
import { InstallTransaction, type InstallHost, type InstallLoader } from './InstallTransaction.js';
import { planUninstall } from './planUninstall.js';

/** How many installs' timings are kept. */
const MAX_TIMINGS = 100;

const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * Features: the catalog of every features file, and the operations on it, one at a time. An install
 * resolves the closure, then runs an `InstallTransaction` (all or nothing); an uninstall follows
 * `planUninstall`. What is installed, and what the user asked for across restarts, is `InstalledFeatures`.
 */
export class FeatureService {
  /** What restore() could not install, and why. */
  private notInstalledAtStart: { name: string; error: string }[] = [];
  private catalog = new FeatureCatalog([]);
  private readonly documents = new Map<string, FeaturesDocument>();
  private readonly installed: InstalledFeatures;
  private readonly operations = new SerialQueue();
  private closing = false;
  private readonly countsValue = { installs: 0, installFailures: 0, uninstalls: 0 };
  /** The latest installs' timings, oldest first (at most MAX_TIMINGS). */
  private readonly timingsValue: InstallTiming[] = [];
  private readonly timingListeners = new Listeners<[InstallTiming]>((error) => {
    this.logger.warn({ err: error }, `a listener of install timings threw: ${(error as Error).message}`);
  });

  constructor(
    private readonly host: InstallHost,
    private readonly loader: InstallLoader,
    private readonly logger: Logger,
    state: FeatureStateFile | undefined,
    private readonly installTimeoutMs = 120_000,
  ) {
    this.installed = new InstalledFeatures(state);
  }

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
    await this.operations.drained();
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
    for (const feature of this.installed.all()) {
      const name = feature.definition.name;
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
    return this.operation(async () => {
      if (!this.documents.delete(source)) return { uninstalled: [], kept: [] };
      this.catalog = new FeatureCatalog([...this.documents.values()]);
      const mine = [...this.installed.all()].filter((f) => f.definition.source === source).map((f) => f.definition.name);
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

  /** Features that should have been installed at start and were not, and why, until they are installed. */
  failedAtStart(): { name: string; error: string }[] {
    return this.notInstalledAtStart.filter((f) => !this.installed.has(f.name.split('@')[0] ?? f.name));
  }

  /** Installs the boot features, then those the user installed before the last stop, each on its own. */
  async restore(extra: readonly string[] = []): Promise<{ installed: string[]; failed: { name: string; error: string }[] }> {
    // Asked for at this start (--features): a name that is nowhere is a mistake to say before anything starts.
    const unknown = extra.map((name) => this.catalog.unknown(name)).filter((why) => why !== undefined);
    if (unknown.length > 0) throw new LatticeError(ErrorCode.FEATURE_NOT_FOUND, `Cannot start: the features to install at start name ${unknown.join('; ')}.`, { features: [...extra] });
    await this.installed.readRemembered();
    const installed: string[] = [];
    const failed: { name: string; error: string }[] = [];
    // Shown by status while it is going on, too.
    this.notInstalledAtStart = failed;
    const attempt = async (request: string, reason: InstallReason): Promise<void> => {
      try {
        await this.operation(() => this.doInstall([request], {}, reason));
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
    const gone = this.installed.pendingFeatures().map(([name]) => name).filter((name) => this.catalog.unknown(name) !== undefined);
    for (const name of gone) {
      this.installed.forgetPending(name);
      this.logger.warn(`feature ${name} was installed before, but no features file defines it now (was its file removed?): forgotten; install it again once a features file defines it`);
    }
    if (gone.length > 0) await this.installed.persist();
    // A feature both boot and remembered (installed by hand after a start that failed to) is tried once, if
    // the version remembered is the one that failed (another may well install).
    const failedAtBoot = new Set(
      failed.map((f) => {
        const [name, range] = splitRequest(f.name);
        return `${name}@${this.catalog.find(name, range)?.version ?? range ?? ''}`;
      }),
    );
    for (const [name, version] of this.installed.pendingFeatures()) {
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
    return this.operation(() => this.doInstall(names, options, 'user'));
  }

  /**
   * Uninstalls features, and the features that were installed only for them.
   * @throws LatticeError FEATURE_NOT_INSTALLED; FEATURE_REQUIRED when other installed features need
   *   them, unless `force` (which uninstalls those too).
   */
  uninstall(names: readonly string[], options: { force?: boolean } = {}): Promise<UninstallReport> {
    return this.operation(() => this.doUninstall(names, options));
  }

  /** How the latest installs went, oldest first: the boot's, and those since (for `lattice status --timing`). */
  timings(): readonly InstallTiming[] {
    return this.timingsValue;
  }

  /** Calls `listener` with each install's timing as it finishes; returns the function that stops it. */
  onInstallTimed(listener: (timing: InstallTiming) => void): () => void {
    return this.timingListeners.add(listener);
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
    const orphans = [...this.installed.all()].map((i) => i.definition).filter((d) => !defined.some((f) => featureId(f) === featureId(d)));
    return [...defined, ...orphans].map((definition) => this.installed.infoOf(definition, boot));
  }

  /** One feature in detail (the installed version, else the highest). @throws LatticeError FEATURE_NOT_FOUND */
  info(name: string): FeatureDetails {
    const [requestName, range] = splitRequest(name);
    const installed = this.installed.get(requestName);
    const definition = installed && (range === undefined || installed.definition.version === range) ? installed.definition : this.catalog.find(requestName, range);
    if (!definition) throw this.notFound(name);
    const components = installed?.definition === definition ? this.installed.componentsOf(definition).map((c) => ({ name: c, state: this.host.stateOf(c) ?? 'removed' })) : [];
    return {
      ...this.installed.infoOf(definition, new Set(this.catalog.boot())),
      dependencies: this.installed.tree(this.catalog, definition),
      modules: definition.modules.map((m) => m.path),
      components,
      config: Object.keys(definition.config),
    };
  }

  /** Module files that features use or may use (deploy/ leaves these to the features). */
  moduleFiles(): Set<string> {
    const files = new Set(this.installed.moduleFiles());
    for (const feature of this.catalog.all()) for (const m of feature.modules) files.add(m.file);
    return files;
  }

  // ---- install ----

  /** Installs, counted (see `counts`). */
  private async doInstall(names: readonly string[], options: { dryRun?: boolean; onProgress?: (progress: InstallProgress) => void }, reason: InstallReason): Promise<InstallReport> {
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

  private async installNow(names: readonly string[], options: { dryRun?: boolean; onProgress?: (progress: InstallProgress) => void }, reason: InstallReason): Promise<InstallReport> {
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
    const moduleFiles = [...new Set(toInstall.flatMap((f) => f.modules.map((m) => m.file)))].filter((file) => !this.installed.hasModule(file));
    const configs = toInstall.flatMap((f) => Object.entries(f.config)).filter(([pid]) => this.host.config.get(pid) === undefined);
    const plan = {
      dryRun: options.dryRun === true,
      features: features.map((f) => ({ name: f.name, version: f.version, alreadyInstalled: this.installed.has(f.name) })),
      modules: moduleFiles,
      configs: [...new Set(configs.map(([pid]) => pid))],
    };

    const started = { at: new Date(), ms: performance.now() };
    const install = new InstallTransaction(this.host, this.logger, names, this.installTimeoutMs, options.onProgress ?? (() => undefined));
    await install.importModules(this.loader, moduleFiles);
    if (options.dryRun) {
      return { ...plan, components: install.loaded.flatMap((m) => m.classes.map((c) => ({ name: getComponentDescription(c).name, state: 'not installed' }))) };
    }
    await install.commit(configs);

    this.installed.add({
      features: toInstall,
      requires,
      modules: install.loaded.map((m) => ({ file: m.file, components: m.classes.map((c) => getComponentDescription(c).name) })),
      requested,
      reason,
    });
    await this.installed.persist();
    const { registered } = install;
    this.recordTiming({
      features: toInstall.map(featureId),
      reason,
      startedAt: started.at.toISOString(),
      ms: round(performance.now() - started.ms),
      modules: install.imports,
      // (One unregistered since, by hand, is left out.)
      components: registered.filter((name) => this.host.stateOf(name) !== undefined).map((name) => {
        const c = this.host.component(name);
        const after = [...new Set(c.references.flatMap((r) => r.bound.flatMap((b) => (b.component === undefined ? [] : [b.component]))))];
        return { name, state: c.state, ...(c.activationMs !== undefined && { activationMs: c.activationMs }), ...(c.activatedAt !== undefined && { activatedAt: c.activatedAt }), after };
      }),
    });
    this.logger.info(`installed ${toInstall.map(featureId).join(', ') || 'nothing new'} (${registered.length} component${registered.length === 1 ? '' : 's'})`);
    return { ...plan, configs: [...install.createdConfigs.keys()], components: registered.map((name) => ({ name, state: this.host.stateOf(name) ?? 'removed' })) };
  }

  private recordTiming(timing: InstallTiming): void {
    if (timing.features.length === 0) return;
    this.timingsValue.push(timing);
    if (this.timingsValue.length > MAX_TIMINGS) this.timingsValue.shift();
    this.timingListeners.emit(timing);
  }

  // ---- uninstall ----

  private async doUninstall(names: readonly string[], options: { force?: boolean }): Promise<UninstallReport> {
    const targets = new Set<string>();
    const forgotten: string[] = [];
    for (const raw of names) {
      const [name] = splitRequest(raw);
      if (this.installed.has(name)) targets.add(name);
      else {
        // Remembered from the last run but never installed this time: uninstalling it forgets it.
        const version = this.installed.forgetPending(name);
        if (version !== undefined) forgotten.push(`${name}@${version}`);
        else {
          const list = this.installed.names().join(', ') || 'none';
          throw new LatticeError(ErrorCode.FEATURE_NOT_INSTALLED, `Feature "${name}" is not installed (installed: ${list}).`, { feature: name });
        }
      }
    }
    const { features, modules } = this.installed.graph();
    const plan = planUninstall(features, modules, targets, options.force === true);
    // Together, consumers first (reverse dependency order). A component already gone (unregistered by
    // hand) is not an error.
    await this.host.unregister(...plan.components.filter((name) => this.host.stateOf(name) !== undefined)).catch((error: unknown) => {
      this.logger.error({ err: error }, 'components of an uninstalled feature could not all be unregistered');
    });
    const ids = this.installed.remove(plan);
    await this.installed.persist();
    this.countsValue.uninstalls++;
    this.logger.info(`uninstalled ${[...ids, ...forgotten].join(', ')} (${plan.components.length} component${plan.components.length === 1 ? '' : 's'})`);
    return { uninstalled: [...ids, ...forgotten], components: plan.components };
  }

  // ---- views ----

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

  /** Runs an install or uninstall after the ones asked for before; refused once the container is stopping. */
  private operation<T>(run: () => Promise<T>): Promise<T> {
    return this.operations.run(() =>
      this.closing ? Promise.reject(new LatticeError(ErrorCode.CONTAINER_STOPPED, 'The container is stopping; features cannot be installed or uninstalled now.')) : run(),
    );
  }
}

/** `name` or `name@range`. */
function splitRequest(request: string): [string, string | undefined] {
  const at = request.indexOf('@', 1);
  return at < 0 ? [request, undefined] : [request.slice(0, at), request.slice(at + 1)];
}
