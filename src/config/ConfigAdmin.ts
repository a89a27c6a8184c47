import type { Logger } from 'pino';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { KeyedQueue } from '../async/KeyedQueue.js';
import { SnapshotSet } from '../collections/SnapshotSet.js';
import { sentence } from '../errors/sentence.js';
import { deepEqual } from '../json/deepEqual.js';
import { jsonPath } from '../json/jsonPath.js';
import { MAX_JSON_DEPTH, tooDeepPath } from '../json/nestingDepth.js';
import type { ConfigurationEntry, ConfigurationSource, ConfigurationValues } from './ConfigurationEntry.js';
import { substituteEnv } from './substituteEnv.js';
import { Listeners } from '../collections/Listeners.js';

/** Where `update` and `delete` write through to, so the file and the runtime never disagree. */
export interface ConfigPersistence {
  /** The file of `pid` as people know it, e.g. `config/x.json`. */
  displayFileOf(pid: string): string;
  write(pid: string, values: ConfigurationValues): Promise<void>;
  /** Writes only if there is no file yet (checked atomically); false if there was one. */
  create(pid: string, values: ConfigurationValues): Promise<boolean>;
  /** The values stored now (undefined: none, or unreadable). */
  read(pid: string): Promise<unknown>;
  remove(pid: string): Promise<void>;
}

interface Stored {
  /** As written, with placeholders. */
  readonly raw: ConfigurationValues | undefined;
  readonly entry: ConfigurationEntry;
}

/** What the components that read `pid` would refuse in `values` (`component x: $.path: reason` each). */
export type ConfigurationCheck = (pid: string, values: ConfigurationValues) => Promise<string[]>;

/** One part of a PID: letters, digits, ".", "_" and "-", not starting with "." or "-". */
export const PID_PART = '[A-Za-z0-9_][A-Za-z0-9._-]*';

/** The factory PID of a factory configuration `<factoryPid>~<name>`; undefined for a plain PID. */
export function factoryPidOf(pid: string): string | undefined {
  const tilde = pid.indexOf('~');
  return tilde < 0 ? undefined : pid.slice(0, tilde);
}

/** Longest PID: its file, and the temporary file a write goes through (`.<pid>.json.<12 hex>.tmp`), stay within the 255 bytes a file name may have. */
export const MAX_PID_LENGTH = 200;

/** A PID, or a factory configuration's `<factoryPid>~<name>` (one `~`). */
const PID = new RegExp(`^(?=.{1,${MAX_PID_LENGTH}}$)${PID_PART}(?:~${PID_PART})?$`);

/** Who asked for a change: code outside the components, or a component's own code. */
type Origin = 'outside' | 'component';

/**
 * Configurations by PID: JSON objects, with `${env:NAME}` placeholders substituted. Sources (the config
 * folder) `set` them; components `subscribe`; `update`/`delete` write through to the persistence first.
 * A version that cannot be used is recorded as a `problem` while the last good values stay in force.
 */
export class ConfigAdmin implements ConfigurationSource {
  private readonly stored = new Map<string, Stored>();
  /** A change goes to the listeners there were when it came (a snapshot). Mostly one per PID; a component factory's instances share their factory's. */
  private readonly listeners = new Map<string, SnapshotSet<(entry: ConfigurationEntry | undefined) => void>>();
  private readonly observers = new Listeners<[pid: string, entry: ConfigurationEntry | undefined]>((error) => {
    this.logger.error({ err: error }, 'an observer of configurations threw');
  });
  /** Listeners to every configuration `<factoryPid>~<name>`, by factory PID. */
  private readonly factoryListeners = new Map<string, SnapshotSet<(pid: string, entry: ConfigurationEntry | undefined) => void>>();
  private persistence: ConfigPersistence | undefined;
  private check: ConfigurationCheck | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly logger: Logger;
  /** Writes of one PID run one at a time: each reads, merges, checks and writes on what the one before left. */
  private readonly writes = new KeyedQueue<string>();
  private origins: { readonly componentCodeRunning: () => boolean; readonly outsideChange: () => void } | undefined;
  /** Where the change being applied comes from; a source's deliveries (set by the config folder) come from outside. */
  private applyingOrigin: Origin = 'outside';

  constructor(options: { logger: Logger; env?: NodeJS.ProcessEnv }) {
    this.logger = options.logger;
    this.env = options.env ?? process.env;
  }

  /** Makes `update` and `delete` go through `persistence` (e.g. the config folder). */
  attach(persistence: ConfigPersistence): void {
    this.persistence = persistence;
  }

  /** Makes `update` refuse values that a component reading the PID would refuse (the container sets it). */
  checkWith(check: ConfigurationCheck): void {
    this.check = check;
  }

  get(pid: string): ConfigurationEntry | undefined {
    return this.stored.get(pid)?.entry;
  }

  locate(pid: string): string | undefined {
    return this.persistence?.displayFileOf(pid);
  }

  /** The values as written, placeholders included (what `config set` edits). */
  raw(pid: string): ConfigurationValues | undefined {
    return this.stored.get(pid)?.raw;
  }

  list(): ConfigurationEntry[] {
    return [...this.stored.values()].map((s) => s.entry).sort((a, b) => a.pid.localeCompare(b.pid));
  }

  factoryConfigurations(factoryPid: string): ConfigurationEntry[] {
    return this.list().filter((entry) => factoryPidOf(entry.pid) === factoryPid);
  }

  subscribeFactory(factoryPid: string, listener: (pid: string, entry: ConfigurationEntry | undefined) => void): () => void {
    return listen(this.factoryListeners, factoryPid, listener);
  }

  subscribe(pid: string, listener: (entry: ConfigurationEntry | undefined) => void): () => void {
    return listen(this.listeners, pid, listener);
  }

  /** Tells `listener` of every change of any configuration (after the components reading it were told). */
  observe(listener: (pid: string, entry: ConfigurationEntry | undefined) => void): () => void {
    this.observers.add(listener);
    return () => {
      this.observers.delete(listener);
    };
  }

  /**
   * Writes `values` (through the persistence, if attached) and applies them. Values a component reading
   * the PID would refuse (its `configSchema`, a `<reference>.target` that is not a filter) are not written.
   * @throws LatticeError CONFIG_PID_INVALID, CONFIG_INVALID, CONFIG_ENV_MISSING; nothing changes then.
   */
  update(pid: string, values: Record<string, unknown>): Promise<ConfigurationEntry> {
    const origin = this.callerOrigin();
    return this.writes.run(pid, () => this.write(pid, values, origin));
  }

  /**
   * Sets some keys of a configuration, keeping the others (`lattice config set`). Concurrent patches of
   * one PID each see the ones before: every key is kept.
   * @throws LatticeError as `update`.
   */
  patch(pid: string, values: Record<string, unknown>): Promise<ConfigurationEntry> {
    if (!isPlainObject(values)) return Promise.reject(new LatticeError(ErrorCode.CONFIG_INVALID, `Configuration ${pid}: the values to set must be a JSON object.`, { pid }));
    return this.edit(pid, (current) => ({ ...current, ...values }));
  }

  /**
   * Writes what `change` makes of the configuration as written now (undefined: there is none), after
   * every write of this PID asked for before; what `change` throws is the rejection, and nothing is written.
   * @throws LatticeError as `update`.
   */
  edit(pid: string, change: (current: ConfigurationValues | undefined) => Record<string, unknown>): Promise<ConfigurationEntry> {
    // A copy: a change function that edits what it is given in place must not touch what is in force.
    const origin = this.callerOrigin();
    return this.writes.run(pid, () => {
      const current = this.raw(pid);
      return this.write(pid, change(current === undefined ? undefined : structuredClone(current)), origin);
    });
  }

  private async write(pid: string, values: Record<string, unknown>, origin: Origin): Promise<ConfigurationEntry> {
    const { json, values: substituted } = this.checked(pid, values);
    const problems = (await this.check?.(pid, substituted)) ?? [];
    if (problems.length > 0) {
      const file = this.persistence?.displayFileOf(pid);
      throw new LatticeError(
        ErrorCode.CONFIG_INVALID,
        `Configuration ${pid} was not ${file === undefined ? 'changed' : `written (${file} ${this.stored.has(pid) ? 'is unchanged' : 'was not created'})`}: ${sentence(problems.join('; '))} Give values the component accepts.`,
        { pid, problems },
      );
    }
    if (this.persistence) await this.persistence.write(pid, json);
    this.withOrigin(origin, () => this.set(pid, json, this.persistence?.displayFileOf(pid)));
    return this.get(pid) as ConfigurationEntry;
  }

  /**
   * Creates a configuration only if there is none, in memory or on disk (a user's file is never
   * overwritten, even one the watcher has not read yet). Returns whether it created it.
   */
  create(pid: string, values: Record<string, unknown>): Promise<boolean> {
    const origin = this.callerOrigin();
    return this.writes.run(pid, async () => {
      const { json } = this.checked(pid, values);
      if (this.stored.has(pid)) return false;
      if (this.persistence && !(await this.persistence.create(pid, json))) return false;
      this.withOrigin(origin, () => this.set(pid, json, this.persistence?.displayFileOf(pid)));
      return true;
    });
  }

  /** Deletes a configuration only if it still holds `values` (nobody edited it since); returns whether it did. */
  deleteIfUnchanged(pid: string, values: Record<string, unknown>): Promise<boolean> {
    const origin = this.callerOrigin();
    return this.writes.run(pid, async () => {
      const current = this.persistence ? await this.persistence.read(pid) : this.raw(pid);
      if (!deepEqual(current, toJson(values))) return false;
      return this.deleteNow(pid, origin);
    });
  }

  /**
   * Values as JSON will store them (`json`, placeholders kept) and as components will see them
   * (`values`), checked. @throws LatticeError
   */
  private checked(pid: string, raw: Record<string, unknown>): { json: ConfigurationValues; values: ConfigurationValues } {
    checkPid(pid);
    if (!isPlainObject(raw)) throw new LatticeError(ErrorCode.CONFIG_INVALID, `Configuration ${pid} must be a JSON object.`, { pid });
    const deep = tooDeepPath(raw);
    if (deep !== undefined) {
      const shown = jsonPath(deep.slice(0, 8)) + (deep.length > 8 ? '...' : '');
      throw new LatticeError(
        ErrorCode.JSON_TOO_DEEP,
        `Configuration ${pid}: arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep (at ${shown}), which Lattice does not read. Flatten the structure.`,
        { pid, limit: MAX_JSON_DEPTH },
      );
    }
    // What the file will hold: dates become strings, undefined disappears; memory must agree with it.
    const json = toJson(raw);
    try {
      return { json, values: substituteEnv(json, this.env) as ConfigurationValues };
    } catch (error) {
      if (LatticeError.is(error)) throw new LatticeError(error.code, `Configuration ${pid}: ${error.message}`, { ...error.details, pid });
      throw error;
    }
  }

  /** Deletes the configuration (and its file). Returns whether there was one. */
  async delete(pid: string): Promise<boolean> {
    checkPid(pid);
    const origin = this.callerOrigin();
    return this.writes.run(pid, () => this.deleteNow(pid, origin));
  }

  /**
   * A source delivers a version of `pid`. Not an object, or a placeholder without a value: recorded as a
   * problem, the last good values stay. Same values as now: nothing happens. Returns whether it changed.
   */
  set(pid: string, raw: unknown, file?: string): boolean {
    checkPid(pid);
    const where = file ?? `configuration ${pid}`;
    if (!isPlainObject(raw)) return this.setProblem(pid, `${where}: $: a configuration must be a JSON object ({ ... })`, file);
    let values: ConfigurationValues;
    try {
      values = substituteEnv(raw, this.env) as ConfigurationValues;
    } catch (error) {
      return this.setProblem(pid, `${where}: ${(error as Error).message}`, file);
    }
    const current = this.stored.get(pid);
    if (current?.entry.values && current.entry.problem === undefined && deepEqual(current.entry.values, values)) {
      this.stored.set(pid, { raw, entry: current.entry });
      return false;
    }
    this.stored.set(pid, { raw, entry: { pid, values, ...(file !== undefined && { file }) } });
    this.notify(pid);
    return true;
  }

  /** The source's latest version of `pid` cannot be used; the last good values stay in force. */
  setProblem(pid: string, problem: string, file?: string): boolean {
    const current = this.stored.get(pid);
    if (current?.entry.problem === problem) return false;
    this.logger.error({ configPid: pid, file }, `configuration ${pid} not applied, ${current?.entry.values ? 'keeping the last good one' : 'and there is no good one before it'}: ${problem} (fix it: the change is picked up at once)`);
    const entry: ConfigurationEntry = {
      pid,
      ...(current?.entry.values && { values: current.entry.values }),
      problem,
      ...((file ?? current?.entry.file) !== undefined && { file: file ?? current?.entry.file }),
    };
    this.stored.set(pid, { raw: current?.raw, entry });
    this.notify(pid);
    return true;
  }

  /** The configuration is gone (a source says so). */
  remove(pid: string): boolean {
    if (!this.stored.delete(pid)) return false;
    this.notify(pid);
    return true;
  }

  private async deleteNow(pid: string, origin: Origin): Promise<boolean> {
    const existed = this.stored.has(pid);
    await this.persistence?.remove(pid);
    this.withOrigin(origin, () => this.remove(pid));
    return existed;
  }

  /**
   * Tells the container where changes come from (see ComponentRuntime.outsideChange): a change asked
   * for while no component code runs, or delivered by a source (a file edited), comes from outside.
   */
  observeOrigins(hooks: { readonly componentCodeRunning: () => boolean; readonly outsideChange: () => void }): void {
    this.origins = hooks;
  }

  private callerOrigin(): Origin {
    return this.origins?.componentCodeRunning() ? 'component' : 'outside';
  }

  private withOrigin<T>(origin: Origin, apply: () => T): T {
    const before = this.applyingOrigin;
    this.applyingOrigin = origin;
    try {
      return apply();
    } finally {
      this.applyingOrigin = before;
    }
  }

  private notify(pid: string): void {
    if (this.applyingOrigin === 'outside') this.origins?.outsideChange();
    const entry = this.get(pid);
    for (const listener of this.listeners.get(pid)?.snapshot() ?? []) listener(entry);
    const factoryPid = factoryPidOf(pid);
    if (factoryPid !== undefined) for (const listener of this.factoryListeners.get(factoryPid)?.snapshot() ?? []) listener(pid, entry);
    this.observers.emit(pid, entry);
  }
}

/** Adds `listener` to the listeners of `key`; returns the function that removes it. */
function listen<L>(listeners: Map<string, SnapshotSet<L>>, key: string, listener: L): () => void {
  let set = listeners.get(key);
  if (!set) listeners.set(key, (set = new SnapshotSet()));
  set.add(listener);
  return () => {
    const now = listeners.get(key);
    if (now?.delete(listener) && now.size === 0) listeners.delete(key);
  };
}

/** @throws LatticeError CONFIG_PID_INVALID */
export function checkPid(pid: string): void {
  if (typeof pid !== 'string' || !PID.test(pid)) {
    throw new LatticeError(
      ErrorCode.CONFIG_PID_INVALID,
      `${JSON.stringify(pid.length > 60 ? `${pid.slice(0, 60)}...` : pid)} is not a valid configuration PID: use 1 to ${MAX_PID_LENGTH} letters, digits, ".", "_" and "-", not starting with "." or "-" (it names the file config/<pid>.json); a factory configuration is <factoryPid>~<name>, each part written so.`,
      { pid },
    );
  }
}

function toJson(values: Record<string, unknown>): ConfigurationValues {
  return JSON.parse(JSON.stringify(values)) as ConfigurationValues;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
