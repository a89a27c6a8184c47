import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { FolderWatcher } from '../fs/FolderWatcher.js';
import { readWithRetries } from '../fs/readWithRetries.js';
import { sweepTempFiles, writeFileAtomic, writeFileExclusive } from '../fs/writeFileAtomic.js';
import { parseJsonFile } from '../json/parseJsonFile.js';
import { MAX_PID_LENGTH, PID_PART, type ConfigAdmin, type ConfigPersistence } from './ConfigAdmin.js';
import type { ConfigurationValues } from './ConfigurationEntry.js';
import { Listeners } from '../collections/Listeners.js';

/** What one reload of a configuration file came to. */
export type ReloadOutcome = 'applied' | 'unchanged' | 'removed' | 'problem';

export interface ConfigDirectoryOptions {
  /** The folder, `<home>/config`. */
  readonly directory: string;
  readonly admin: ConfigAdmin;
  readonly logger: Logger;
  /** Quiet time after the last event of a file before it is read (default 5 ms). */
  readonly debounceMs?: number;
  /**
   * Delays of the re-reads when a file just touched does not parse or is missing: a plain write truncates
   * first, and an editor's rename-save removes the file for a moment (default 10, 20, 40, 80 ms).
   */
  readonly retryDelaysMs?: readonly number[];
  /** When to read a file once more after a reload (default 60 ms; see FolderWatcher). */
  readonly recheckMs?: number;
  /** Larger files are not read: FILE_TOO_LARGE, the last good values stay (default 5 MiB). */
  readonly maxFileBytes?: number;
}

export const DEFAULT_MAX_CONFIG_FILE_BYTES = 5 * 1024 * 1024;

/** `x.json`, or a factory configuration's `x~name.json`. */
const CONFIG_FILE = new RegExp(`^(${PID_PART}(?:~${PID_PART})?)\\.json$`);

/**
 * The config folder as a configuration source: PID `x` is `config/x.json`. Reads every file at start,
 * then watches the folder. Writes from `ConfigAdmin.update` go to the file atomically.
 */
export class ConfigDirectory implements ConfigPersistence {
  private readonly directory: string;
  private readonly admin: ConfigAdmin;
  private readonly logger: Logger;
  private readonly retryDelaysMs: readonly number[];
  private readonly maxFileBytes: number;
  private readonly watcher: FolderWatcher;
  private readonly reloadListeners = new Listeners<[pid: string, outcome: ReloadOutcome]>((error) => {
    this.logger.error({ err: error }, 'a listener of configuration reloads threw');
  });

  constructor(options: ConfigDirectoryOptions) {
    this.directory = options.directory;
    this.admin = options.admin;
    this.logger = options.logger;
    this.retryDelaysMs = options.retryDelaysMs ?? [10, 20, 40, 80];
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_CONFIG_FILE_BYTES;
    this.watcher = new FolderWatcher({
      folder: options.directory,
      accept: (name) => CONFIG_FILE.test(name),
      onChange: (name, superseded) => this.reload(name, superseded),
      logger: options.logger,
      ...(options.debounceMs !== undefined && { debounceMs: options.debounceMs }),
      ...(options.recheckMs !== undefined && { recheckMs: options.recheckMs }),
    });
  }

  fileOf(pid: string): string {
    return join(this.directory, `${pid}.json`);
  }

  displayFileOf(pid: string): string {
    return `${basename(this.directory)}/${pid}.json`;
  }

  /**
   * Starts watching, then reads every configuration file (a file written meanwhile is seen either way).
   * Configurations whose files were deleted while the container was stopped are removed.
   */
  async start(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const swept = await sweepTempFiles(this.directory);
    if (swept.length > 0) this.logger.info({ files: swept }, `removed ${swept.length} temporary file(s) left in ${basename(this.directory)}/ by an interrupted write`);
    await this.watcher.start();
    const names = (await readdir(this.directory)).filter((name) => CONFIG_FILE.test(name));
    const present = new Set(names.map((name) => CONFIG_FILE.exec(name)?.[1]));
    for (const entry of this.admin.list()) {
      if (entry.file === this.displayFileOf(entry.pid) && !present.has(entry.pid)) this.admin.remove(entry.pid);
    }
    await Promise.all(names.map((name) => this.watcher.run(name)));
  }

  close(): Promise<void> {
    return this.watcher.close();
  }

  /** Tells `listener` how each reload ended (for tools and tests that wait for the watcher). */
  onReload(listener: (pid: string, outcome: ReloadOutcome) => void): () => void {
    return this.reloadListeners.add(listener);
  }

  async write(pid: string, values: ConfigurationValues): Promise<void> {
    await writeFileAtomic(this.fileOf(pid), `${JSON.stringify(values, null, 2)}\n`);
  }

  create(pid: string, values: ConfigurationValues): Promise<boolean> {
    // A user's file wins, even one written a moment ago.
    return writeFileExclusive(this.fileOf(pid), `${JSON.stringify(values, null, 2)}\n`);
  }

  async read(pid: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(this.fileOf(pid), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  async remove(pid: string): Promise<void> {
    await rm(this.fileOf(pid), { force: true });
  }

  /** Reads the file and hands it to the admin; returns the text read. */
  private async reload(name: string, superseded: () => boolean): Promise<string | undefined> {
    const pid = CONFIG_FILE.exec(name)?.[1] as string;
    const shown = this.displayFileOf(pid);
    if (pid.length > MAX_PID_LENGTH) {
      this.logger.warn({ file: shown }, `${shown} is not read: a configuration PID is at most ${MAX_PID_LENGTH} characters (this one has ${pid.length}); give the file a shorter name`);
      return undefined;
    }
    const read = await readWithRetries(this.fileOf(pid), (text) => parseJsonFile(text, shown), {
      delaysMs: this.retryDelaysMs,
      superseded,
      onRetry: (found, delayMs) => {
        this.logger.debug({ configPid: pid, file: shown }, `${shown} is ${found === 'missing' ? 'missing' : 'not valid'} for now (being written?); reading it again in ${delayMs} ms`);
      },
      describe: shown,
      maxBytes: { limit: this.maxFileBytes, fix: 'Make it smaller, or raise the limit (lattice start --max-config-bytes N).' },
    });
    if (read.kind === 'superseded') return undefined;
    let outcome: ReloadOutcome;
    if (read.kind === 'missing') {
      outcome = this.admin.remove(pid) ? 'removed' : 'unchanged';
      if (outcome === 'removed') this.logger.info({ configPid: pid, file: shown }, `configuration ${pid} removed (${shown} was deleted)`);
    } else if (read.kind === 'failed') {
      this.admin.setProblem(pid, read.error.message, shown);
      outcome = 'problem';
    } else {
      const changed = this.admin.set(pid, read.value, shown);
      outcome = this.admin.get(pid)?.problem === undefined ? (changed ? 'applied' : 'unchanged') : 'problem';
      if (outcome === 'applied') this.logger.info({ configPid: pid, file: shown }, `configuration ${pid} loaded from ${shown}`);
    }
    this.reloadListeners.emit(pid, outcome);
    return read.kind === 'missing' ? undefined : read.text;
  }
}
