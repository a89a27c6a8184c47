import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';
import { parseJsonFile } from '../json/parseJsonFile.js';
import type { ConfigAdmin, ConfigPersistence } from './ConfigAdmin.js';
import type { ConfigurationValues } from './ConfigurationEntry.js';

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
  /**
   * When to read a file once more after it was reloaded on an event (default 60 ms): chokidar passes on
   * at most one change event per file every 50 ms and drops the rest, so the last write of a burst can
   * come without an event.
   */
  readonly recheckMs?: number;
}

interface FileState {
  generation: number;
  timer: NodeJS.Timeout | undefined;
  recheck: NodeJS.Timeout | undefined;
  chain: Promise<void>;
  /** The text last read (undefined: the file was missing). */
  lastText: string | undefined;
}

const CONFIG_FILE = /^([A-Za-z0-9_][A-Za-z0-9._-]*)\.json$/;

/**
 * The config folder as a configuration source: PID `x` is `config/x.json`. Reads every file at start,
 * then watches the folder (not single files, which editors replace by rename) and re-reads a file after
 * a burst of events settles. Writes from `ConfigAdmin.update` go to the file atomically.
 */
export class ConfigDirectory implements ConfigPersistence {
  private readonly directory: string;
  private readonly admin: ConfigAdmin;
  private readonly logger: Logger;
  private readonly debounceMs: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly recheckMs: number;
  private readonly files = new Map<string, FileState>();
  private readonly reloadListeners = new Set<(pid: string, outcome: ReloadOutcome) => void>();
  private watcher: FSWatcher | undefined;
  private closed = false;

  constructor(options: ConfigDirectoryOptions) {
    this.directory = options.directory;
    this.admin = options.admin;
    this.logger = options.logger;
    this.debounceMs = options.debounceMs ?? 5;
    this.retryDelaysMs = options.retryDelaysMs ?? [10, 20, 40, 80];
    this.recheckMs = options.recheckMs ?? 60;
  }

  fileOf(pid: string): string {
    return join(this.directory, `${pid}.json`);
  }

  displayFileOf(pid: string): string {
    return `${basename(this.directory)}/${pid}.json`;
  }

  /** Reads every configuration file now (creating the folder if need be). */
  async load(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const names = await readdir(this.directory);
    await Promise.all(names.flatMap((name) => {
      const pid = CONFIG_FILE.exec(name)?.[1];
      return pid === undefined ? [] : [this.reload(pid, this.state(pid).generation, false)];
    }));
  }

  /** Starts watching; resolves once the watcher is ready. */
  async watch(): Promise<void> {
    if (this.watcher) return;
    this.closed = false;
    const watcher = watch(this.directory, { ignoreInitial: true, depth: 0, ignored: (path) => path !== this.directory && !CONFIG_FILE.test(basename(path)) });
    this.watcher = watcher;
    const schedule = (path: string): void => {
      const pid = CONFIG_FILE.exec(basename(path))?.[1];
      if (pid !== undefined) this.schedule(pid);
    };
    watcher.on('add', schedule).on('change', schedule).on('unlink', schedule);
    watcher.on('error', (error) => {
      this.logger.error({ err: error }, `watching ${this.directory} failed`);
    });
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.files.values()) {
      clearTimeout(state.timer);
      clearTimeout(state.recheck);
    }
    await this.watcher?.close();
    this.watcher = undefined;
    await Promise.all([...this.files.values()].map((s) => s.chain));
  }

  /** Tells `listener` how each reload ended (for tools and tests that wait for the watcher). */
  onReload(listener: (pid: string, outcome: ReloadOutcome) => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  async write(pid: string, values: ConfigurationValues): Promise<void> {
    await writeFileAtomic(this.fileOf(pid), `${JSON.stringify(values, null, 2)}\n`);
  }

  async remove(pid: string): Promise<void> {
    await rm(this.fileOf(pid), { force: true });
  }

  private state(pid: string): FileState {
    let state = this.files.get(pid);
    if (!state) this.files.set(pid, (state = { generation: 0, timer: undefined, recheck: undefined, chain: Promise.resolve(), lastText: undefined }));
    return state;
  }

  private schedule(pid: string): void {
    if (this.closed) return;
    const state = this.state(pid);
    const generation = ++state.generation;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.chain = state.chain.then(() => this.reload(pid, generation, true));
    }, this.debounceMs);
  }

  /** Reads the file once more after the event throttle window; a change no event announced is reloaded. */
  private recheckLater(pid: string): void {
    const state = this.state(pid);
    clearTimeout(state.recheck);
    state.recheck = setTimeout(() => {
      readFile(this.fileOf(pid), 'utf8').then(
        (text) => {
          if (text !== state.lastText) this.schedule(pid);
        },
        () => {
          if (state.lastText !== undefined) this.schedule(pid);
        },
      );
    }, this.recheckMs);
  }

  /** Reads the file and hands it to the admin; re-reads briefly a file that is half-written or briefly gone. */
  private async reload(pid: string, generation: number, recheck: boolean): Promise<void> {
    const state = this.state(pid);
    const file = this.fileOf(pid);
    const shown = this.displayFileOf(pid);
    const superseded = (): boolean => generation !== state.generation || this.closed;
    for (let attempt = 0; ; attempt++) {
      if (superseded()) return;
      let outcome: { kind: 'ok'; raw: unknown } | { kind: 'missing' } | { kind: 'problem'; problem: string };
      let text: string | undefined;
      try {
        text = await readFile(file, 'utf8');
        outcome = { kind: 'ok', raw: parseJsonFile(text, shown) };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        outcome = code === 'ENOENT' ? { kind: 'missing' } : { kind: 'problem', problem: (error as Error).message };
      }
      state.lastText = text;
      if (outcome.kind !== 'ok') {
        const delay = this.retryDelaysMs[attempt];
        if (delay !== undefined) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
      }
      if (superseded()) return;
      this.report(pid, shown, outcome);
      if (recheck) this.recheckLater(pid);
      return;
    }
  }

  private report(pid: string, file: string, outcome: { kind: 'ok'; raw: unknown } | { kind: 'missing' } | { kind: 'problem'; problem: string }): void {
    let result: ReloadOutcome;
    if (outcome.kind === 'missing') {
      result = this.admin.remove(pid) ? 'removed' : 'unchanged';
      if (result === 'removed') this.logger.info({ pid, file }, `configuration ${pid} removed (${file} was deleted)`);
    } else if (outcome.kind === 'problem') {
      this.admin.setProblem(pid, outcome.problem, file);
      result = 'problem';
    } else {
      const changed = this.admin.set(pid, outcome.raw, file);
      result = this.admin.get(pid)?.problem === undefined ? (changed ? 'applied' : 'unchanged') : 'problem';
      if (result === 'applied') this.logger.info({ pid, file }, `configuration ${pid} loaded from ${file}`);
    }
    for (const listener of [...this.reloadListeners]) listener(pid, result);
  }
}
