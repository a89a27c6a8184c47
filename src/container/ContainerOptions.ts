import type { Container as InversifyContainer } from 'inversify';
import type { Logger } from 'pino';
import type { LogLevel } from '../logging/createLogger.js';

export interface ContainerOptions {
  /** Root logger; each component logs through a child of it. Default: a new pino logger at `logLevel`. */
  logger?: Logger;
  /** Level of the default logger (default "info"). */
  logLevel?: LogLevel;
  /** How long a component's constructor + bind methods + activate may take (default 30 s). */
  activationTimeoutMs?: number;
  /** How long a deactivate may take before the container goes on without it (default 30 s). */
  deactivationTimeoutMs?: number;
  /**
   * How many times one cause (the same reason, the same providers) may deactivate and reactivate a
   * component while the container settles before it counts as a loop: the component then fails with
   * REACTIVATION_LOOP (default 100).
   */
  reactivationLimit?: number;
  /** An inversify container whose bindings component constructors may also inject. */
  injector?: InversifyContainer;
  /**
   * The container's home folder. Configuration PID `x` is then `<home>/config/x.json`, read at start and
   * watched while running. Without a home, configurations live in memory (`container.config`).
   */
  home?: string;
  /** Values for `${env:NAME}` placeholders in configurations (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Tuning of the config folder watcher: quiet time after a burst, re-read delays (see ConfigDirectory). */
  configWatch?: { debounceMs?: number; retryDelaysMs?: readonly number[] };
  /** Configuration files larger than this are not read: FILE_TOO_LARGE, the last good values stay (default 5 MiB). */
  maxConfigFileBytes?: number;
  /**
   * The distribution's features file. Default: `<home>/features.json` if there is one; `false` for none.
   * Module paths in it resolve against its folder and must stay inside it.
   */
  featuresFile?: string | false;
  /** Features to install at start, besides the file's `boot` list and those remembered from the last run. */
  bootFeatures?: readonly string[];
  /**
   * Watch `<home>/deploy` (default: true when there is a home). `settleMs`: how long a file or folder
   * must go unchanged before it is deployed (default 100 ms; more for slow or network file systems).
   */
  deploy?: boolean | { readonly settleMs?: number };
  /**
   * How long importing a component module (a feature's, or deploy/'s) may take, its top-level awaits
   * included, before it is given up on with MODULE_IMPORT_TIMEOUT (default 30 s).
   */
  importTimeoutMs?: number;
  /** How long an install waits for its components before it is undone (default 120 s). */
  installTimeoutMs?: number;
  /** This container's node id in a cluster (`lattice start --node-id`); components read it as `context.container.nodeId`. */
  nodeId?: string;
  /** The components readiness counts (`readiness()`, `/health/ready`); default: every enabled component. */
  readyComponents?: readonly string[];
  /** How long a health check may take before it counts as down (default 5 s). */
  healthCheckTimeoutMs?: number;
}

