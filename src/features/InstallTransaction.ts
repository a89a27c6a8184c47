import type { Logger } from 'pino';
import type { ComponentClass } from '../component/ComponentDescription.js';
import type { ConfigAdmin } from '../config/ConfigAdmin.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { sentence } from '../errors/sentence.js';
import type { LoadedModule } from '../modules/ModuleLoader.js';
import type { ComponentInfo } from '../runtime/ComponentInfo.js';
import type { ComponentState } from '../runtime/ComponentState.js';
import type { InstallProgress } from './FeatureReports.js';

/** What an install needs from the container. */
export interface InstallHost {
  readonly config: ConfigAdmin;
  /** False once the container is stopping. */
  readonly running: boolean;
  register(...classes: ComponentClass[]): string[];
  unregister(...names: string[]): Promise<void>;
  component(name: string): ComponentInfo;
  /** A component's state, undefined when it is not registered: cheap, unlike `component`. */
  stateOf(name: string): ComponentState | undefined;
  /** Calls `listener` with each component state change; returns the function that stops it. */
  onStateChange(listener: (change: { readonly name: string; readonly state: ComponentState }) => void): () => void;
  settled(): Promise<void>;
}

/** What imports a module file for an install. */
export interface InstallLoader {
  load(file: string): Promise<LoadedModule>;
}

/** States in which an installed component counts as up (a delayed one waits for a user). */
const UP_STATES: ReadonlySet<ComponentState> = new Set(['active', 'satisfied']);
/** States whose explanation ends with advice for a component that stays registered. */
const ADVISING_STATES: ReadonlySet<ComponentState> = new Set(['failed-activation', 'unsatisfied-configuration']);
/** How often the activate step says which components it still waits for. */
const PROGRESS_EVERY_MS = 500;

const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * One install, in the steps its progress reports: import the modules, then configure (the features'
 * configurations the user has none of), register the components, activate (wait for the container to
 * settle), verify (every new component is up). Once anything is configured or registered, a failure
 * rolls back: the components are unregistered and the configurations it wrote deleted, so an install is
 * all or nothing.
 */
export class InstallTransaction {
  readonly loaded: LoadedModule[] = [];
  /** Each module imported, when and how long its import took. */
  readonly imports: { file: string; startedAt: string; ms: number }[] = [];
  /** The configurations this install wrote, with the values written. */
  readonly createdConfigs = new Map<string, Record<string, unknown>>();
  readonly registered: string[] = [];

  constructor(
    private readonly host: InstallHost,
    private readonly logger: Logger,
    /** The features asked for, for messages. */
    private readonly names: readonly string[],
    private readonly timeoutMs: number,
    private readonly progress: (progress: InstallProgress) => void,
  ) {}

  /** The first step: imports the modules. Nothing has changed yet if it fails. */
  async importModules(loader: InstallLoader, files: readonly string[]): Promise<void> {
    for (const file of files) {
      this.progress({ phase: 'importing', module: file });
      try {
        const started = { at: new Date(), ms: performance.now() };
        const module = await loader.load(file);
        this.imports.push({ file, startedAt: started.at.toISOString(), ms: round(performance.now() - started.ms) });
        if (module.classes.length === 0) this.logger.warn({ file }, `module ${file} exports no @Component class: it adds no components to ${this.names.join(', ')}`);
        this.loaded.push(module);
      } catch (error) {
        throw new LatticeError(ErrorCode.FEATURE_INSTALL_FAILED, `Cannot install ${this.names.join(', ')}: ${sentence((error as Error).message)} Nothing was installed.`, { features: [...this.names] }, { cause: error });
      }
    }
  }

  /** The other steps, after the import: all of them, or (on any failure) none. */
  async commit(configs: readonly (readonly [pid: string, values: Readonly<Record<string, unknown>>])[]): Promise<void> {
    try {
      await this.configure(configs);
      this.register();
      await this.activate();
      this.verify();
    } catch (error) {
      await this.rollback();
      if (LatticeError.is(error)) throw error;
      throw new LatticeError(ErrorCode.FEATURE_INSTALL_FAILED, `Cannot install ${this.names.join(', ')}: ${sentence((error as Error).message)} The install was undone.`, { features: [...this.names] }, { cause: error });
    }
  }

  private async configure(configs: readonly (readonly [string, Readonly<Record<string, unknown>>])[]): Promise<void> {
    for (const [pid, values] of configs) {
      if (this.createdConfigs.has(pid)) continue;
      this.progress({ phase: 'configuring', pid });
      if (await this.host.config.create(pid, { ...values })) this.createdConfigs.set(pid, { ...values });
    }
  }

  private register(): void {
    for (const module of this.loaded) {
      this.progress({ phase: 'registering', module: module.file });
      this.registered.push(...this.host.register(...module.classes));
    }
  }

  /**
   * Waits for the container to be quiet, within the install timeout, saying now and every half second
   * which of the new components it still waits for: a set kept up to date by their state changes.
   */
  private async activate(): Promise<void> {
    const mine = new Set(this.registered);
    const waiting = new Set(this.registered.filter((name) => !this.isUp(name)));
    const report = (): void => {
      // One unregistered meanwhile (by hand) is not waited for.
      this.progress({ phase: 'activating', waitingFor: [...waiting].filter((name) => this.host.stateOf(name) !== undefined) });
    };
    const stopListening = this.host.onStateChange(({ name, state }) => {
      if (!mine.has(name)) return;
      if (UP_STATES.has(state)) waiting.delete(name);
      else waiting.add(name);
    });
    report();
    const ticker = setInterval(report, PROGRESS_EVERY_MS);
    let timeoutTimer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timeoutTimer = setTimeout(resolve, this.timeoutMs);
    });
    try {
      await Promise.race([this.host.settled(), timeout]);
    } finally {
      stopListening();
      clearInterval(ticker);
      clearTimeout(timeoutTimer);
    }
    if (!this.host.running) {
      throw new LatticeError(ErrorCode.CONTAINER_STOPPED, `The container stopped while ${this.names.join(', ')} was being installed; the install was undone.`);
    }
  }

  /** Every new component is up, or the install fails, saying why each one that is not is not. */
  private verify(): void {
    const names = this.names;
    const gone = this.registered.filter((name) => this.host.stateOf(name) === undefined);
    if (gone.length > 0) {
      throw new LatticeError(
        ErrorCode.FEATURE_INSTALL_FAILED,
        `Cannot install ${names.join(', ')}: ${gone.join(', ')} ${gone.length === 1 ? 'was' : 'were'} unregistered while the install waited for ${gone.length === 1 ? 'it' : 'them'}, so the install was undone. Install ${names.length === 1 ? 'it' : 'them'} again.`,
        { features: [...names], components: gone },
      );
    }
    const down = this.registered.filter((name) => !this.isUp(name)).map((name) => this.host.component(name)).filter((c) => c.enabled);
    if (down.length === 0) return;
    throw new LatticeError(
      ErrorCode.FEATURE_INSTALL_FAILED,
      `Cannot install ${names.join(', ')}: ${down.length} component${down.length === 1 ? ' did' : 's did'} not come up, so the install was undone:\n${down
        // The component's own advice (enable or restart it, fix its configuration and it picks it up) does
        // not apply: it is gone with the install.
        .map((c) => `  - ${c.name} is ${c.state}: ${ADVISING_STATES.has(c.state) ? sentence(c.why[0] ?? '') : c.why.join(' ')}`)
        .join('\n')}\nFix the cause, then install ${names.length === 1 ? 'it' : 'them'} again.`,
      { features: [...names], components: down.map((c) => ({ name: c.name, state: c.state, why: c.why, ...(c.failure && { failure: c.failure }) })) },
    );
  }

  private async rollback(): Promise<void> {
    await this.host.unregister(...this.registered.filter((name) => this.host.stateOf(name) !== undefined)).catch((error: unknown) => {
      this.logger.error({ err: error }, 'undoing an install: its components could not all be unregistered');
    });
    for (const [pid, values] of this.createdConfigs) await this.host.config.deleteIfUnchanged(pid, values).catch(() => false);
  }

  /** Whether a component is up; one no longer registered is not waited for. */
  private isUp(name: string): boolean {
    const state = this.host.stateOf(name);
    return state === undefined || UP_STATES.has(state);
  }
}
