/** A feature as `list()` shows it. */
export interface FeatureInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly installed: boolean;
  /** Installed because it was asked for (by name, or at boot), or only as another's dependency. */
  readonly installedAs?: 'requested' | 'dependency';
  /** Installed features that depend on it directly. */
  readonly requiredBy: readonly string[];
  /** Listed in a features file's `boot`. */
  readonly boot: boolean;
  /** The features file it comes from. */
  readonly source: string;
}

/** A dependency tree. */
export interface FeatureTree {
  readonly name: string;
  readonly version: string;
  readonly installed: boolean;
  readonly dependencies: readonly FeatureTree[];
}

/** A feature in detail, as `info()` shows it. */
export interface FeatureDetails extends FeatureInfo {
  readonly dependencies: readonly FeatureTree[];
  readonly modules: readonly string[];
  /** Its components and their states, once installed. */
  readonly components: readonly { readonly name: string; readonly state: string }[];
  /** PIDs of the configurations it brings. */
  readonly config: readonly string[];
}

/** What an install did (or, dry, would do). */
export interface InstallReport {
  readonly dryRun: boolean;
  /** The closure, dependencies first. */
  readonly features: readonly { readonly name: string; readonly version: string; readonly alreadyInstalled: boolean }[];
  /** Module files imported. */
  readonly modules: readonly string[];
  /** Configurations written (PIDs the user had none of). */
  readonly configs: readonly string[];
  readonly components: readonly { readonly name: string; readonly state: string }[];
}

/** How long one install took, and its parts (for `lattice status --timing`). */
export interface InstallTiming {
  /** The features it installed (name@version), dependencies first. */
  readonly features: readonly string[];
  /** Why it was installed: `boot` (the features file's boot list, or --features), `user` (asked for, or remembered). */
  readonly reason: 'boot' | 'user' | 'dependency';
  readonly startedAt: string;
  /** From the request to every component up. */
  readonly ms: number;
  /** Each module it imported, and how long the import took (its top-level code included). */
  readonly modules: readonly { readonly file: string; readonly startedAt: string; readonly ms: number }[];
  /**
   * Each component it registered: how long its activation took and when it ended (absent while not
   * active), and the components it bound (they activated first).
   */
  readonly components: readonly { readonly name: string; readonly state: string; readonly activationMs?: number; readonly activatedAt?: string; readonly after: readonly string[] }[];
}

export interface UninstallReport {
  /** Features uninstalled, as name@version. */
  readonly uninstalled: readonly string[];
  /** Components removed. */
  readonly components: readonly string[];
}

/** Where an install is, for a progress display. */
export type InstallProgress =
  | { readonly phase: 'importing'; readonly module: string }
  | { readonly phase: 'configuring'; readonly pid: string }
  | { readonly phase: 'registering'; readonly module: string }
  | { readonly phase: 'activating'; readonly waitingFor: readonly string[] };
