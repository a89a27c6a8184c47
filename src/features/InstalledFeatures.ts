import type { FeatureCatalog } from './FeatureCatalog.js';
import { featureId, type FeatureDefinition } from './FeatureDefinition.js';
import type { FeatureInfo, FeatureTree } from './FeatureReports.js';
import type { FeatureStateFile } from './FeatureStateFile.js';
import type { UninstallPlan } from './planUninstall.js';

/** Why a feature is installed. */
export type InstallReason = 'user' | 'boot' | 'dependency';

export interface InstalledFeature {
  readonly definition: FeatureDefinition;
  /** Asked for by name (by the user, or at boot): it keeps what it requires installed. */
  explicit: boolean;
  /** Asked for by the user: remembered in data/features.json and installed again at the next start. */
  remembered: boolean;
  /** Names of the installed features it depends on directly (as resolved when it was installed). */
  readonly requires: readonly string[];
}

export interface InstalledModule {
  readonly components: readonly string[];
  /** Names of the installed features that use the module. */
  readonly users: Set<string>;
}

/** What an install adds, once every step of it went well. */
export interface InstallOutcome {
  /** The features new to the container. */
  readonly features: readonly FeatureDefinition[];
  /** For each, the installed features it depends on directly. */
  readonly requires: ReadonlyMap<FeatureDefinition, readonly string[]>;
  readonly modules: readonly { readonly file: string; readonly components: readonly string[] }[];
  /** The names asked for, and why. */
  readonly requested: ReadonlySet<string>;
  readonly reason: InstallReason;
}

/**
 * The installed features, the modules they brought and the components of each, and the features
 * remembered from the last run that are not installed (yet). What the user installed (and what is
 * remembered but not installed) is kept in data/features.json.
 */
export class InstalledFeatures {
  private readonly installed = new Map<string, InstalledFeature>();
  private readonly modules = new Map<string, InstalledModule>();
  /** Remembered from the last run but not installed (yet), by name: the version. Kept until uninstalled. */
  private readonly pending = new Map<string, string>();

  constructor(private readonly stateFile: FeatureStateFile | undefined) {}

  get(name: string): InstalledFeature | undefined {
    return this.installed.get(name);
  }

  has(name: string): boolean {
    return this.installed.has(name);
  }

  names(): string[] {
    return [...this.installed.keys()];
  }

  all(): IterableIterator<InstalledFeature> {
    return this.installed.values();
  }

  hasModule(file: string): boolean {
    return this.modules.has(file);
  }

  moduleFiles(): IterableIterator<string> {
    return this.modules.keys();
  }

  /** The components of an installed feature's modules. */
  componentsOf(definition: FeatureDefinition): string[] {
    return definition.modules.flatMap((m) => this.modules.get(m.file)?.components ?? []);
  }

  /** Records what an install added. */
  add(outcome: InstallOutcome): void {
    for (const module of outcome.modules) this.modules.set(module.file, { components: module.components, users: new Set() });
    for (const feature of outcome.features) {
      this.installed.set(feature.name, { definition: feature, explicit: false, remembered: false, requires: outcome.requires.get(feature) ?? [] });
      for (const m of feature.modules) this.modules.get(m.file)?.users.add(feature.name);
    }
    for (const name of outcome.requested) {
      const feature = this.installed.get(name);
      if (!feature) continue;
      feature.explicit = feature.explicit || outcome.reason !== 'dependency';
      feature.remembered = feature.remembered || outcome.reason === 'user';
      this.pending.delete(name);
    }
  }

  /** Forgets what an uninstall took away; returns the features as `name@version`. */
  remove(plan: UninstallPlan): string[] {
    for (const file of plan.modules) this.modules.delete(file);
    for (const module of this.modules.values()) for (const user of plan.removed) module.users.delete(user);
    const ids = plan.removed.map((name) => featureId((this.installed.get(name) as InstalledFeature).definition));
    for (const name of plan.removed) this.installed.delete(name);
    return ids;
  }

  /** For the uninstall planner. */
  graph(): { readonly features: ReadonlyMap<string, InstalledFeature>; readonly modules: ReadonlyMap<string, InstalledModule> } {
    return { features: this.installed, modules: this.modules };
  }

  // ---- remembered ----

  /** Reads what the last run remembered: those not installed are pending until installed or uninstalled. */
  async readRemembered(): Promise<void> {
    for (const r of (await this.stateFile?.read()) ?? []) this.pending.set(r.name, r.version);
  }

  /** Remembered and not installed: name → version. */
  pendingFeatures(): [string, string][] {
    return [...this.pending];
  }

  /** Forgets a pending feature; returns its version, undefined if it was not pending. */
  forgetPending(name: string): string | undefined {
    const version = this.pending.get(name);
    this.pending.delete(name);
    return version;
  }

  /** Writes what the user installed (and what is remembered but not installed yet) to data/features.json. */
  async persist(): Promise<void> {
    const remembered = [...this.installed.values()].filter((f) => f.remembered).map((f) => ({ name: f.definition.name, version: f.definition.version }));
    const pending = [...this.pending].filter(([name]) => !this.installed.has(name)).map(([name, version]) => ({ name, version }));
    await this.stateFile?.write([...remembered, ...pending]);
  }

  // ---- views ----

  /** A feature as `feature list` shows it. */
  infoOf(definition: FeatureDefinition, boot: ReadonlySet<string>): FeatureInfo {
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

  /** A feature's dependencies as a tree, each marked installed or not. */
  tree(catalog: FeatureCatalog, definition: FeatureDefinition, seen: ReadonlySet<string> = new Set()): FeatureTree[] {
    return catalog.dependenciesOf(definition).map((dep) => {
      const id = featureId(dep);
      return {
        name: dep.name,
        version: dep.version,
        installed: this.installed.get(dep.name)?.definition.version === dep.version,
        dependencies: seen.has(id) ? [] : this.tree(catalog, dep, new Set([...seen, id])),
      };
    });
  }
}
