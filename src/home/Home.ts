import { join, resolve } from 'node:path';

/**
 * Where a container's home keeps each thing: the one place that knows the layout, for the container and
 * the shell alike.
 *
 * ```
 * <home>/features.json        the distribution's features (optional)
 * <home>/config/<pid>.json    configurations, watched
 * <home>/deploy/              modules and features files, deployed while running
 * <home>/data/features.json   the features the user installed, installed again at the next start
 * <home>/data/control.json    how to reach the running container (port, token; owner-only)
 * <home>/data/container.pid   the lock: one container per home
 * <home>/data/shell_history   `lattice shell`'s history
 * ```
 */
export class Home {
  /** The home folder, absolute. */
  readonly root: string;

  constructor(folder: string) {
    this.root = resolve(folder);
  }

  get featuresFile(): string {
    return join(this.root, 'features.json');
  }

  get config(): string {
    return join(this.root, 'config');
  }

  get deploy(): string {
    return join(this.root, 'deploy');
  }

  /** What the container keeps for itself. */
  get data(): string {
    return join(this.root, 'data');
  }

  get installedFeatures(): string {
    return join(this.data, 'features.json');
  }

  get controlFile(): string {
    return join(this.data, 'control.json');
  }

  get lockFile(): string {
    return join(this.data, 'container.pid');
  }

  get shellHistory(): string {
    return join(this.data, 'shell_history');
  }

  /** The names a home may hold at its top: one with none of them is most often a mistyped --home. */
  static readonly ENTRIES: readonly string[] = ['features.json', 'config', 'deploy', 'data'];
}
