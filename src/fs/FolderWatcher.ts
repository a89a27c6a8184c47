import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { KeyedQueue } from '../async/KeyedQueue.js';

export interface FolderWatcherOptions {
  readonly folder: string;
  /** Which names (directly in the folder) to watch. */
  readonly accept: (name: string) => boolean;
  /**
   * Called after a file's events settle, one call per file at a time. `superseded()` turns true when a
   * newer event arrived meanwhile (a newer call will follow). Returns the text it read (undefined: the
   * file was missing), so the watcher can tell later whether the file changed since.
   */
  readonly onChange: (name: string, superseded: () => boolean) => Promise<string | undefined>;
  /**
   * Watch whole entries (a file, or a folder with everything in it) rather than files: an event anywhere
   * in an entry is an event of the entry; chokidar passes a file on only once its writes have settled for
   * `settleMs`; entries are handled one at a time across the folder, in the order their (debounced) events
   * came, each of them handled even if a newer event of its entry follows (entries may depend on each
   * other: a module and the features file that names it); nothing is read again later.
   */
  readonly entries?: { readonly settleMs: number };
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
  /** Handler calls: per file, or (entries) one line for the whole folder. */
  private readonly handlers = new KeyedQueue<string>();
  private watcher: FSWatcher | undefined;
  private closed = false;

  constructor(private readonly options: FolderWatcherOptions) {
    this.debounceMs = options.debounceMs ?? 5;
    this.recheckMs = options.recheckMs ?? 60;
  }

  /** Takes calls of `run` again after a close (before `start`, which does it too). */
  open(): void {
    this.closed = false;
  }

  /** Starts watching; resolves once the watcher is ready. */
  async start(): Promise<void> {
    if (this.watcher) return;
    this.closed = false;
    const { folder, accept, entries } = this.options;
    const ignored = (path: string): boolean => {
      const name = this.nameOf(path);
      return name !== undefined && !accept(name);
    };
    const watcher = entries
      ? watch(folder, { ignoreInitial: true, ignored, awaitWriteFinish: { stabilityThreshold: entries.settleMs, pollInterval: Math.max(10, Math.floor(entries.settleMs / 4)) } })
      : watch(folder, { ignoreInitial: true, depth: 0, ignored });
    this.watcher = watcher;
    const schedule = (path: string): void => {
      const name = this.nameOf(path);
      if (name !== undefined) this.schedule(name);
    };
    // A folder, or a link chokidar cannot follow (a loop), under a watched name: the handler reads it and
    // says what is wrong with it, as for any file that does not work.
    watcher.on('add', schedule).on('change', schedule).on('unlink', schedule).on('addDir', schedule).on('unlinkDir', schedule);
    watcher.on('error', (error) => {
      this.options.logger.error({ err: error }, watchErrorMessage(folder, error));
      const path = (error as NodeJS.ErrnoException).path;
      if (path !== undefined && !entries && dirname(path) === folder && !ignored(path)) schedule(path);
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
    await this.handlers.drained();
  }

  /** The name in the folder a path is (or, watching entries, is in); undefined for the folder itself and paths outside it. */
  private nameOf(path: string): string | undefined {
    if (!this.options.entries) return path === this.options.folder || dirname(path) !== this.options.folder ? undefined : basename(path);
    const rel = relative(this.options.folder, path);
    return rel === '' || rel.startsWith('..') ? undefined : rel.split(sep)[0];
  }

  /** Runs the handler for `name` now (as for an event, but without waiting for one). */
  run(name: string, recheck = false): Promise<void> {
    const generation = this.state(name).generation;
    return this.handlers.run(this.options.entries ? '' : name, () => this.handle(name, generation, recheck));
  }

  private state(name: string): FileState {
    let state = this.files.get(name);
    if (!state) this.files.set(name, (state = { generation: 0, timer: undefined, recheck: undefined, lastText: undefined }));
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
    // Entries are each handled at every turn their events took in the line (see `entries`); files only at their last.
    if (this.closed || (superseded() && !this.options.entries)) return;
    try {
      state.lastText = await this.options.onChange(name, superseded);
    } catch (error) {
      this.options.logger.error({ err: error }, `handling a change of ${join(this.options.folder, name)} failed`);
    }
    if (recheck && !superseded() && !this.options.entries) this.recheckLater(name);
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
