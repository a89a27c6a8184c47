/** Configuration values: a JSON object. */
export type ConfigurationValues = Readonly<Record<string, unknown>>;

/** A configuration as its source last delivered it. */
export interface ConfigurationEntry {
  readonly pid: string;
  /** The last good values (placeholders substituted), if there ever were any. */
  readonly values?: ConfigurationValues;
  /** Why the latest version from the source could not be used; the last good values stay in force. */
  readonly problem?: string;
  /** The file the configuration lives in, if it comes from a file. */
  readonly file?: string;
}

/** A component that refused a configuration, and the values it runs on instead (none: it waits for good ones). */
export interface RejectedConfiguration {
  readonly component: string;
  readonly problem: string;
  readonly inForce?: ConfigurationValues;
}

/** A configuration as people see it (`config get`, the control API): secrets masked, `raw` as written, who refused it. */
export type ShownConfiguration = ConfigurationEntry & { readonly raw?: ConfigurationValues; readonly rejectedBy?: readonly RejectedConfiguration[] };

/** Where components get their configurations (ConfigAdmin, or anything that behaves like it). */
export interface ConfigurationSource {
  get(pid: string): ConfigurationEntry | undefined;
  /** Calls `listener` after every change of `pid` (including deletion: undefined). */
  subscribe(pid: string, listener: (entry: ConfigurationEntry | undefined) => void): () => void;
  /** Where a configuration would live (e.g. `config/x.json`), for messages about a missing one. */
  locate?(pid: string): string | undefined;
  /** The factory configurations `<factoryPid>~<name>` there are now. */
  factoryConfigurations(factoryPid: string): ConfigurationEntry[];
  /** Calls `listener` after every change of a configuration `<factoryPid>~<name>` (including deletion: undefined). */
  subscribeFactory(factoryPid: string, listener: (pid: string, entry: ConfigurationEntry | undefined) => void): () => void;
}
