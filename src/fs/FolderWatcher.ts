import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';

export interface FolderWatcherOptions {
  readonly folder: string;
  /** Which file names (directly in the folder) to watch. */
  readonly accept: (name: string) => boolean;
  /**
   * Called after a file's events settle, one call per file at a time. `superseded()` turns true when a
   * newer event arrived meanwhile (a newer call will follow). Returns the text it read (undefined: the
   * file was missing), so the watcher can tell later whether the file changed since.
   */
  readonly onChange: (name: string, superseded: () => boolean) => Promise<string | undefined>;
  readonly logger: Logger;
  /** Quiet time after the last event of a file before `onChange` (default 5 ms). */
  readonly debounceMs?: number;
  /**
   * When to compare a file once more with what `onChange` read (default 60 ms): chokidar passes on at
   * most one change event per file every 50 ms and drops the rest, so the last write of a burst can
   * come without an event.
   */
  readonly recheckMs?: number;
}

interface FileState {
  generation: number;
  timer: NodeJS.Timeout | undefined;
  recheck: NodeJS.Timeout | undefined;
  chain: Promise<void>;
  lastText: string | undefined;
}

/**
 * Watches the files of one folder with chokidar (the folder, not single files: editors save by renaming
 * a temporary file over the old one), debounces each file's events, runs its handler one call at a time,
 * and re-reads it once after chokidar's change throttle, so no final write goes unseen.
 */
export class FolderWatcher {
  private readonly debounceMs: number;
  private readonly recheckMs: number;
  private readonly files = new Map<string, FileState>();
  private watcher: FSWatcher | undefined;
  private closed = false;

  constructor(private readonly options: FolderWatcherOptions) {
    this.debounceMs = options.debounceMs ?? 5;
    this.recheckMs = options.recheckMs ?? 60;
  }

  /** Starts watching; resolves once the watcher is ready. */
  async start(): Promise<void> {
    if (this.watcher) return;
    this.closed = false;
    const { folder, accept } = this.options;
    const watcher = watch(folder, { ignoreInitial: true, depth: 0, ignored: (path) => path !== folder && !accept(basename(path)) });
    this.watcher = watcher;
    const schedule = (path: string): void => {
      if (path !== folder) this.schedule(basename(path));
    };
    // A folder, or a link chokidar cannot follow (a loop), under a watched name: the handler reads it and
    // says what is wrong with it, as for any file that does not work.
    watcher.on('add', schedule).on('change', schedule).on('unlink', schedule).on('addDir', schedule).on('unlinkDir', schedule);
    watcher.on('error', (error) => {
      this.options.logger.error({ err: error }, watchErrorMessage(folder, error));
      const path = (error as NodeJS.ErrnoException).path;
      if (path !== undefined && dirname(path) === folder && accept(basename(path))) schedule(path);
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

  /** Runs the handler for `name` now (as for an event, but without waiting for one). */
  run(name: string, recheck = false): Promise<void> {
    const state = this.state(name);
    const generation = state.generation;
    state.chain = state.chain.then(() => this.handle(name, generation, recheck));
    return state.chain;
  }

  private state(name: string): FileState {
    let state = this.files.get(name);
    if (!state) this.files.set(name, (state = { generation: 0, timer: undefined, recheck: undefined, chain: Promise.resolve(), lastText: undefined }));
    return state;
  }

  private schedule(name: string): void {
    if (this.closed) return;
    const state = this.state(name);
    state.generation++;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      void this.run(name, true);
    }, this.debounceMs);
  }

  private async handle(name: string, generation: number, recheck: boolean): Promise<void> {
    const state = this.state(name);
    const superseded = (): boolean => generation !== state.generation || this.closed;
    if (superseded()) return;
    try {
      state.lastText = await this.options.onChange(name, superseded);
    } catch (error) {
      this.options.logger.error({ err: error }, `handling a change of ${join(this.options.folder, name)} failed`);
    }
    if (recheck && !superseded()) this.recheckLater(name);
  }

  private recheckLater(name: string): void {
    const state = this.state(name);
    clearTimeout(state.recheck);
    state.recheck = setTimeout(() => {
      readFile(join(this.options.folder, name), 'utf8').then(
        (text) => {
          if (text !== state.lastText) this.schedule(name);
        },
        () => {
          if (state.lastText !== undefined) this.schedule(name);
        },
      );
    }, this.recheckMs);
  }
}

/** What a watcher error means for people: the file it is about, and the cause (a symbolic link loop, say). */
export function watchErrorMessage(folder: string, error: unknown): string {
  const { path, code, message } = error as NodeJS.ErrnoException;
  if (path === undefined) return `watching ${folder} failed: ${message}`;
  const cause = code === 'ELOOP' ? 'it is a symbolic link that leads back to itself (a loop); point it at a real file, or replace it with one' : message;
  return `watching ${folder}: ${path}: ${cause}`;
}
