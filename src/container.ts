import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Container as InversifyContainer } from 'inversify';
import type { Logger } from 'pino';
import type { ComponentClass } from './component/ComponentDescription.js';
import { getComponentDescription } from './component/describeComponentClass.js';
import { isServiceToken, tokenName, type ServiceToken } from './component/ServiceToken.js';
import { ConfigAdmin, factoryPidOf } from './config/ConfigAdmin.js';
import { ConfigDirectory } from './config/ConfigDirectory.js';
import { ConfigurationAdminService } from './config/ConfigurationAdminService.js';
import type { ConfigurationEntry, ConfigurationValues } from './config/ConfigurationEntry.js';
import { redactSecrets, secretMarksOf } from './config/secrets.js';
import { installSpans, type OtelApi, type OtelTracer } from './tracing/traceInstalls.js';
import { DeployWatcher } from './deploy/DeployWatcher.js';
import { ModuleLoader } from './deploy/ModuleLoader.js';
import { FeatureService } from './features/FeatureService.js';
import { FeatureStateFile } from './features/FeatureStateFile.js';
import { FeaturesFile } from './features/FeaturesFile.js';
import type { InstallProgress, InstallReport, UninstallReport } from './features/FeatureReports.js';
import { ErrorCode } from './errors/ErrorCode.js';
import { assessReadiness, type PendingCheck } from './health/assessReadiness.js';
import { HEALTH_NAME, HealthCheckService, type HealthCheck } from './health/HealthCheck.js';
import type { Readiness } from './health/Readiness.js';
import type { ContainerMetrics } from './metrics/ContainerMetrics.js';
import { MetricsService } from './metrics/MetricsService.js';
import { sweepTempFiles } from './fs/writeFileAtomic.js';
import { LatticeError } from './errors/LatticeError.js';
import { createLogger, type LogLevel } from './logging/createLogger.js';
import type { ComponentInfo } from './runtime/ComponentInfo.js';
import type { ComponentManager } from './runtime/ComponentManager.js';
import { ComponentRuntime } from './runtime/ComponentRuntime.js';
import type { ComponentState, DeactivationReason } from './runtime/ComponentState.js';
import { describeComponent } from './runtime/describeComponent.js';
import { ExternalServiceRegistration, type ServiceRegistration } from './runtime/ExternalServiceRegistration.js';
import { parseFilter } from './runtime/filter/parseFilter.js';
import type { ServiceProperties, ServiceRecord, ServiceUser } from './runtime/ServiceRecord.js';

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

/** What the container reports: component state changes and service registry changes. */
/** A component that refused a configuration, and the values it runs on instead (none: it waits for good ones). */
export interface RejectedConfiguration {
  readonly component: string;
  readonly problem: string;
  readonly inForce?: ConfigurationValues;
}

export type ContainerEvent =
  | {
      readonly type: 'component';
      readonly name: string;
      readonly state: ComponentState;
      readonly previous: ComponentState;
      readonly reason?: DeactivationReason;
    }
  | {
      readonly type: 'service';
      readonly change: 'registered' | 'modified' | 'unregistering';
      readonly serviceId: number;
      readonly services: readonly string[];
      readonly component?: string;
      readonly properties: ServiceProperties;
    }
  | {
      readonly type: 'config';
      readonly pid: string;
      readonly change: 'updated' | 'deleted';
    };

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 5_000;

/**
 * A Lattice container: register component classes, start, and it wires and activates them in
 * dependency order, following services as they come and go.
 */
export class Container {
  readonly logger: Logger;
  /** Configurations by PID; `update`/`delete` write through to `<home>/config` when there is a home. */
  readonly config: ConfigAdmin;
  /** The watched config folder, when the container has a home. */
  readonly configFolder: ConfigDirectory | undefined;
  /** Features: install, uninstall, list. */
  readonly features: FeatureService;
  /** The distribution's features file, watched while running. */
  readonly featuresFile: FeaturesFile | undefined;
  /** The hot deploy folder, `<home>/deploy`. */
  readonly deployFolder: DeployWatcher | undefined;
  private readonly bootFeatures: readonly string[];
  /** This container's node id, if it has one. */
  readonly nodeId: string | undefined;
  private readonly runtime: ComponentRuntime;
  private readonly listeners = new Set<(event: ContainerEvent) => void>();
  /** Whether installs are traced, once `enableTracing()` has been called. */
  private tracing: Promise<boolean> | undefined;
  private readonly external: ServiceUser = { userName: 'code outside the container' };
  private readonly externallyHeld = new Map<unknown, ServiceRecord[]>();
  private phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private readonly loader: ModuleLoader;
  private readonly home: string | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly readyComponents: readonly string[] | undefined;
  private configWritesRefused = 0;
  private metricsValue: Promise<ContainerMetrics> | undefined;
  private readonly healthCheckTimeoutMs: number;

  constructor(options: ContainerOptions = {}) {
    this.logger = options.logger ?? createLogger({ level: options.logLevel ?? 'info' });
    this.config = new ConfigAdmin({ logger: this.logger.child({ part: 'config' }), ...(options.env && { env: options.env }) });
    if (options.home !== undefined) {
      this.configFolder = new ConfigDirectory({
        directory: join(resolve(options.home), 'config'),
        admin: this.config,
        logger: this.logger.child({ part: 'config' }),
        ...options.configWatch,
        ...(options.maxConfigFileBytes !== undefined && { maxFileBytes: options.maxConfigFileBytes }),
      });
      this.config.attach(this.configFolder);
    }
    this.runtime = new ComponentRuntime({
      logger: this.logger,
      config: this.config,
      facts: { nodeId: options.nodeId, home: options.home === undefined ? undefined : resolve(options.home) },
      activationTimeoutMs: options.activationTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      deactivationTimeoutMs: options.deactivationTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.injector && { injectorParent: options.injector }),
      ...(options.reactivationLimit !== undefined && { reactivationLimit: options.reactivationLimit }),
    });
    this.runtime.moduleOf = (implementation) => this.moduleShown(implementation);
    this.config.observeOrigins({ componentCodeRunning: () => this.runtime.componentCodeRunning, outsideChange: () => { this.runtime.outsideChange(); } });
    this.config.checkWith(async (pid, values) => {
      const readers = this.readersOf(pid);
      const problems = (await Promise.all(readers.map(async (m) => (await m.configurationProblems(values)).map((p) => `component ${m.name}: ${p}`)))).flat();
      if (problems.length > 0) this.configWritesRefused++;
      return problems;
    });
    const loader = new ModuleLoader({
      logger: this.logger.child({ part: 'modules' }),
      ...(options.importTimeoutMs !== undefined && { importTimeoutMs: options.importTimeoutMs }),
    });
    this.loader = loader;
    const home = options.home === undefined ? undefined : resolve(options.home);
    this.home = home;
    this.features = new FeatureService(
      this,
      loader,
      this.logger.child({ part: 'features' }),
      home === undefined ? undefined : new FeatureStateFile(join(home, 'data', 'features.json'), this.logger),
      options.installTimeoutMs,
    );
    const featuresPath = options.featuresFile === undefined ? (home === undefined ? undefined : join(home, 'features.json')) : options.featuresFile;
    this.featuresFile =
      featuresPath === false || featuresPath === undefined || (options.featuresFile === undefined && !existsSync(featuresPath))
        ? undefined
        : new FeaturesFile(resolve(featuresPath), this.features, this.logger.child({ part: 'features' }));
    this.bootFeatures = options.bootFeatures ?? [];
    this.readyComponents = options.readyComponents;
    this.healthCheckTimeoutMs = options.healthCheckTimeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS;
    this.nodeId = options.nodeId;
    this.deployFolder =
      home !== undefined && options.deploy !== false
        ? new DeployWatcher(join(home, 'deploy'), this, loader, this.features, this.logger.child({ part: 'deploy' }), typeof options.deploy === 'object' ? options.deploy.settleMs : undefined)
        : undefined;
    this.registerService(ConfigurationAdminService, this.config, { 'service.description': 'configuration admin' });
    this.runtime.onStateChange((change) => {
      if (this.listeners.size > 0) this.emit({ type: 'component', ...change });
    });
    this.config.observe((pid, entry) => {
      if (this.listeners.size > 0) this.emit({ type: 'config', pid, change: entry === undefined ? 'deleted' : 'updated' });
    });
    this.runtime.registry.observe((event) => {
      // Built only for someone listening: thousands of registrations at a start are not worth the garbage.
      if (this.listeners.size === 0) return;
      const { record } = event;
      this.emit({
        type: 'service',
        change: event.type,
        serviceId: record.id,
        services: record.tokens.map(tokenName),
        ...(record.provider.componentName !== undefined && { component: record.provider.componentName }),
        properties: redactSecrets(record.properties, secretMarksOf(record.provider.propertySchema)),
      });
    });
  }

  static create(options: ContainerOptions = {}): Container {
    return new Container(options);
  }

  get running(): boolean {
    return this.phase === 'running';
  }

  /**
   * Registers component classes; after `start()` they are wired and activated at once (in the background:
   * use `whenActive` or `settled` to wait). Returns the component names.
   * @throws LatticeError COMPONENT_DECORATOR_MISSING, COMPONENT_NAME_DUPLICATE, COMPONENT_INVALID;
   *   nothing is registered when any class is rejected.
   */
  register(...classes: ComponentClass[]): string[] {
    this.runtime.outsideChange();
    const descriptions = classes.map((c) => getComponentDescription(c));
    const names = new Set<string>();
    for (const d of descriptions) {
      if (names.has(d.name) || this.runtime.nameTaken(d.name)) {
        const other = descriptions.find((o) => o !== d && o.name === d.name);
        throw new LatticeError(
          ErrorCode.COMPONENT_NAME_DUPLICATE,
          `Cannot register ${d.implementation.name} as component "${d.name}": ${(other ?? this.runtime.get(d.name).description).implementation.name} already has that name. Give one of them another name with @Component({ name }).`,
          { component: d.name },
        );
      }
      names.add(d.name);
    }
    const managers = descriptions.map((d) => this.runtime.create(d));
    for (const manager of managers) this.runtime.add(manager);
    return managers.map((m) => m.name);
  }

  /**
   * Deactivates components (their dependents first; several at once go consumers first) and forgets them.
   * A class registered under the same name before this resolves takes its place once it is gone.
   * @throws LatticeError COMPONENT_NOT_FOUND, removing none
   */
  async unregister(...names: string[]): Promise<void> {
    this.runtime.outsideChange();
    await this.runtime.remove(...names);
    await this.settled();
  }

  /**
   * Starts: configuration folder, components, the features file, deploy/'s features files, boot and
   * remembered features, then the deploy folder. Resolves when the container is quiet. A failing step
   * stops what was started and rejects; a `stop()` meanwhile makes it reject with CONTAINER_STOPPED.
   */
  async start(): Promise<void> {
    if (this.starting) return this.starting;
    if (this.stopping) await this.stopping;
    if (this.phase === 'running') return;
    this.phase = 'running';
    this.starting = this.startParts().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Deactivates every component in reverse dependency order, awaiting each deactivate. */
  async stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.phase !== 'running') return;
    this.phase = 'stopping';
    // An import in progress (a module whose top-level await never settles, say) is not waited for, nor
    // components that do not settle.
    this.loader.cancel();
    this.runtime.interrupt();
    this.stopping = (async () => {
      // A start in progress notices at its next step and unwinds; then everything is shut down.
      await this.starting?.catch(() => undefined);
      await this.shutdown();
      this.phase = 'stopped';
    })().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async startParts(): Promise<void> {
    const step = async (work: () => Promise<unknown> | undefined): Promise<void> => {
      if (this.phase !== 'running') throw new LatticeError(ErrorCode.CONTAINER_STOPPED, 'The container was stopped while it was starting.');
      await work();
    };
    try {
      this.features.open();
      this.loader.open();
      // Temporary files of writes a crash interrupted (the remembered features, say).
      if (this.home !== undefined) await sweepTempFiles(join(this.home, 'data'));
      await step(() => this.configFolder?.start());
      await step(() => this.runtime.start());
      await step(() => this.featuresFile?.load());
      await step(() => this.featuresFile?.watch());
      await step(() => this.deployFolder?.loadFeatureFiles());
      await step(() => this.features.restore(this.bootFeatures));
      await step(() => this.deployFolder?.start());
      await step(() => undefined);
    } catch (error) {
      if (this.phase === 'running') {
        this.phase = 'stopping';
        this.loader.cancel();
        this.runtime.interrupt();
        await this.shutdown();
        this.phase = 'stopped';
      }
      throw error;
    }
  }

  private async shutdown(): Promise<void> {
    await this.deployFolder?.close();
    await this.featuresFile?.close();
    await this.configFolder?.close();
    // An install in progress sees its components stop, rolls back, and only then is the stop done.
    await Promise.all([this.runtime.stop(), this.features.close()]);
  }

  /** Registers a ready-made object as a service, for components to reference. */
  registerService<T>(service: ServiceToken<T> | readonly ServiceToken<T>[], instance: T, properties: Record<string, unknown> = {}): ServiceRegistration<T> {
    const tokens = (Array.isArray(service) ? service : [service]) as readonly unknown[];
    if (tokens.length === 0 || !tokens.every(isServiceToken)) {
      throw new LatticeError(ErrorCode.REFERENCE_INVALID, 'registerService needs a service token made by serviceToken("Name") (or a non-empty array of them).');
    }
    return new ExternalServiceRegistration(this.runtime.registry, tokens, instance, properties, () => { this.runtime.outsideChange(); });
  }

  /**
   * The best service of `token` matching `filter` (highest ranking, then oldest), activating a delayed
   * component if need be. It stays in use until `ungetService(service)`.
   */
  async getService<T>(token: ServiceToken<T>, filter?: string): Promise<T | undefined> {
    for (const record of this.runtime.registry.find(token, filter === undefined ? undefined : parseFilter(filter))) {
      const service = await this.acquire(record);
      if (service !== undefined) return service as T;
    }
    return undefined;
  }

  /** Every service of `token` matching `filter`, best first; each stays in use until `ungetService`. */
  async getServices<T>(token: ServiceToken<T>, filter?: string): Promise<T[]> {
    const found: T[] = [];
    for (const record of this.runtime.registry.find(token, filter === undefined ? undefined : parseFilter(filter))) {
      const service = await this.acquire(record);
      if (service !== undefined) found.push(service as T);
    }
    return found;
  }

  /** Releases a service obtained with `getService`; a delayed component deactivates when nobody uses it. */
  ungetService(service: unknown): void {
    const records = this.externallyHeld.get(service);
    const record = records?.pop();
    if (!record) return;
    if (records?.length === 0) this.externallyHeld.delete(service);
    record.provider.ungetService(record, this.external);
  }

  /** Installs features by name (`name` or `name@range`); see FeatureService.install. */
  install(names: string | readonly string[], options: { dryRun?: boolean; onProgress?: (progress: InstallProgress) => void } = {}): Promise<InstallReport> {
    return this.features.install(typeof names === 'string' ? [names] : names, options);
  }

  /** Uninstalls features; see FeatureService.uninstall. */
  uninstall(names: string | readonly string[], options: { force?: boolean } = {}): Promise<UninstallReport> {
    return this.features.uninstall(typeof names === 'string' ? [names] : names, options);
  }

  /** Component modules whose import never settled (given up on after the import timeout, or at stop). */
  unsettledImports(): string[] {
    return this.loader.unsettledImports();
  }

  hasComponent(name: string): boolean {
    return this.runtime.has(name);
  }

  components(): ComponentInfo[] {
    return [...this.runtime.managers()].map((m) => this.describe(m));
  }

  /** @throws LatticeError COMPONENT_NOT_FOUND */
  component(name: string): ComponentInfo {
    return this.describe(this.runtime.get(name));
  }

  /**
   * The components that read the configuration `pid`; for a factory configuration that no instance reads
   * yet, the template that would make one (it checks values as its instance would).
   */
  private readersOf(pid: string): ComponentManager[] {
    const managers = [...this.runtime.managers()];
    const readers = managers.filter((m) => m.description.configurationPid === pid && !isConfigurationFactory(m));
    const factoryPid = factoryPidOf(pid);
    if (readers.length > 0 || factoryPid === undefined) return readers;
    return managers.filter((m) => isConfigurationFactory(m) && m.factoryRole?.factory.id === factoryPid);
  }

  /**
   * A configuration as people may see it (`config get`, the control API): secrets masked, by name or
   * as the schemas of the components that read it mark them; `raw` (as written) keeps its placeholders.
   */
  shownConfiguration(entry: ConfigurationEntry): ConfigurationEntry & { raw?: ConfigurationValues; rejectedBy?: RejectedConfiguration[] } {
    const readers = this.readersOf(entry.pid);
    const secrets = readers.flatMap((m) => secretMarksOf(m.description.configSchema));
    const raw = this.config.raw(entry.pid);
    // A component's schema may refuse what the file holds: it then runs on the values it had before.
    const rejectedBy = readers.flatMap((m): RejectedConfiguration[] => {
      const problem = m.configProblem;
      // The file's own problem (it does not parse, say) is the file's, not a refusal by the component.
      if (problem === undefined || problem === entry.problem) return [];
      const inForce = m.delivered?.present === true ? redactSecrets(m.delivered.raw, secretMarksOf(m.description.configSchema)) : undefined;
      return [{ component: m.name, problem, ...(inForce !== undefined && { inForce }) }];
    });
    return {
      ...entry,
      ...(entry.values && { values: redactSecrets(entry.values, secrets) }),
      ...(raw && { raw: redactSecrets(raw, secrets, true) }),
      ...(rejectedBy.length > 0 && { rejectedBy }),
    };
  }

  /** A component as plain data, with the module it came from (which the runtime does not know). */
  private describe(manager: ComponentManager): ComponentInfo {
    const info = describeComponent(manager, this.runtime);
    const module = this.moduleShown(manager.description.implementation);
    return module === undefined ? info : { ...info, module };
  }

  /** The module a class was imported from: relative to the home when inside it. */
  private moduleShown(implementation: ComponentClass): string | undefined {
    const file = this.loader.moduleOf(implementation);
    if (file === undefined) return undefined;
    return this.home !== undefined && !relative(this.home, file).startsWith('..') ? relative(this.home, file) : file;
  }

  /** Enables a component (retrying a failed one); resolves when the container is quiet again. */
  enable(name: string): Promise<ComponentInfo> {
    return this.act(name, (m) => m.enable());
  }

  /** Disables a component, its dependents first; resolves when the container is quiet again. */
  disable(name: string): Promise<ComponentInfo> {
    return this.act(name, (m) => m.disable());
  }

  /**
   * Deactivates the component and activates a new instance; retries a failed activation. (A component
   * factory's instance is disposed instead: what this returns then describes it as it went.)
   */
  restart(name: string): Promise<ComponentInfo> {
    return this.act(name, (m) => m.restart());
  }

  /** Acts on a component from outside, waits for the container to be quiet, and describes the component acted on. */
  private async act(name: string, action: (manager: ComponentManager) => Promise<void>): Promise<ComponentInfo> {
    this.runtime.outsideChange();
    const manager = this.runtime.get(name);
    await action(manager);
    await this.settled();
    return this.describe(manager);
  }

  /** Listens to component and service events; returns the function that stops listening. */
  on(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves when the component is active.
   * @throws LatticeError WAIT_TIMEOUT after `timeoutMs`, saying why it is not active.
   */
  whenActive(name: string, timeoutMs = 10_000): Promise<ComponentInfo> {
    return this.whenState(name, 'active', timeoutMs);
  }

  /** Resolves when the component is in `state` (or one of the states). @throws LatticeError WAIT_TIMEOUT */
  whenState(name: string, state: ComponentState | readonly ComponentState[], timeoutMs = 10_000): Promise<ComponentInfo> {
    const states: readonly ComponentState[] = typeof state === 'string' ? [state] : state;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (!this.runtime.has(name) || !states.includes(this.runtime.get(name).state)) return false;
        stop();
        resolve(this.component(name));
        return true;
      };
      const timer = setTimeout(() => {
        stop();
        const why = this.runtime.has(name) ? this.component(name).why.join(' ') : 'it is not registered.';
        reject(new LatticeError(ErrorCode.WAIT_TIMEOUT, `Component ${name} did not become ${states.join(' or ')} within ${timeoutMs} ms: ${why}`, { component: name }));
      }, timeoutMs);
      const unsubscribe = this.on((event) => {
        if (event.type === 'component' && event.name === name) check();
      });
      const stop = (): void => {
        clearTimeout(timer);
        unsubscribe();
      };
      check();
    });
  }

  /**
   * Whether the container is ready: started (its boot features installed), every counted component
   * active or satisfied, and every health check (`HealthCheckService`) up within its timeout.
   */
  async readiness(): Promise<Readiness> {
    const checks: PendingCheck[] = [];
    const held: unknown[] = [];
    let done = false;
    for (const record of this.runtime.registry.find(HealthCheckService)) {
      const named = record.properties[HEALTH_NAME];
      const component = record.provider.componentName;
      checks.push({
        name: typeof named === 'string' ? named : (component ?? `service ${record.id}`),
        ...(component !== undefined && { component }),
        run: async () => {
          const check = (await this.acquire(record)) as HealthCheck | undefined;
          if (check === undefined) return { status: 'down', detail: component !== undefined && this.runtime.has(component) ? this.whyNoCheck(this.runtime.get(component)) : 'its service went away' };
          // Got after the report was done (its provider took longer than the timeout): let it go at once.
          if (done) {
            this.ungetService(check);
            return { status: 'down', detail: 'too late' };
          }
          held.push(check);
          return check.check();
        },
      });
    }
    // A check component that provides nothing now (failed, unsatisfied) is a check that is down, not none.
    const providing = new Set(checks.map((c) => c.component));
    const missingChecks = [...this.runtime.managers()]
      .filter((m) => m.isEnabled && m.description.services.includes(HealthCheckService) && !providing.has(m.name) && m.serviceRecord === undefined)
      .map((m) => ({ component: m.name, why: this.whyNoCheck(m) }));
    try {
      return await assessReadiness({
        phase: this.phase === 'running' ? (this.starting ? 'starting' : 'running') : this.phase === 'stopping' ? 'stopping' : 'stopped',
        // Not components(): plain data of every component, on every probe, for the few that are not ready.
        components: [...this.runtime.managers()].map((m) => ({ name: m.name, enabled: m.isEnabled, state: m.state, why: () => this.runtime.explain(m).join(' ') })),
        checks,
        missingChecks,
        featuresNotInstalled: this.features.failedAtStart(),
        ...(this.readyComponents && { counted: this.readyComponents }),
        timeoutMs: this.healthCheckTimeoutMs,
      });
    } finally {
      done = true;
      for (const check of held) this.ungetService(check);
    }
  }

  /**
   * Turns metrics on (loading prom-client, which the container does not load otherwise): the container's
   * metrics and Node's process metrics in a registry that is also registered as `MetricsService`, for
   * components to add theirs. Call it before `start()` to observe every activation. Calling it again
   * gives the same metrics.
   */
  enableMetrics(): Promise<ContainerMetrics> {
    return (this.metricsValue ??= (async () => {
      const { ContainerMetrics: Metrics } = await import('./metrics/ContainerMetrics.js');
      const metrics = new Metrics({
        stateCounts: () => this.runtime.stateCounts(),
        reconcileCount: () => this.runtime.reconcileCount,
        configWritesRefused: () => this.configWritesRefused,
        features: () => this.features.counts,
      });
      this.runtime.onStateChange((change) => {
        if (change.state !== 'active' || change.previous !== 'activating' || !this.runtime.has(change.name)) return;
        const instance = this.runtime.get(change.name).currentInstance;
        if (instance) metrics.activated(instance.activationMs);
      });
      this.configFolder?.onReload((_pid, outcome) => {
        metrics.reloaded(outcome);
      });
      this.registerService(MetricsService, metrics.registry, { 'service.description': 'Prometheus metrics registry' });
      return metrics;
    })());
  }

  /**
   * Makes each feature install an OpenTelemetry trace (see `installSpans`), through `tracer`, else the
   * tracer named `lattice` of the registered tracer provider (a no-op without an OpenTelemetry SDK set
   * up). `@opentelemetry/api` is not a dependency of Lattice: it is loaded only here, from the app's
   * packages. Resolves false, doing nothing, when it is not installed; calling it again changes nothing.
   */
  enableTracing(tracer?: OtelTracer): Promise<boolean> {
    return (this.tracing ??= (async () => {
      let api: OtelApi;
      try {
        // A variable, so that TypeScript does not ask for its types (they are the app's, if anywhere).
        const name = '@opentelemetry/api';
        api = (await import(name)) as OtelApi;
      } catch {
        return false;
      }
      const used = tracer ?? api.trace.getTracer('lattice');
      this.features.onInstallTimed((timing) => {
        installSpans(api, used, timing);
      });
      return true;
    })());
  }

  /** The metrics, once `enableMetrics()` has been called. */
  get metrics(): Promise<ContainerMetrics> | undefined {
    return this.metricsValue;
  }

  /** Why a health check component gives no check: its state, and why it is not active. */
  private whyNoCheck(manager: ComponentManager): string {
    const why = this.runtime.explain(manager).join(' ');
    return `${manager.name} is ${manager.state}${why === '' ? '' : `: ${why}`}`;
  }

  /** Resolves once no component is changing state. */
  settled(): Promise<void> {
    return this.runtime.settled();
  }

  private async acquire(record: ServiceRecord): Promise<unknown> {
    const service = await record.provider.getService(record, this.external);
    if (service === undefined) return undefined;
    const held = this.externallyHeld.get(service) ?? [];
    held.push(record);
    this.externallyHeld.set(service, held);
    return service;
  }

  private emit(event: ContainerEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error }, 'a container event listener threw');
      }
    }
  }
}

/** A factory configurations' template: it reads no configuration, its instances read theirs. */
function isConfigurationFactory(manager: ComponentManager): boolean {
  return manager.factoryRole?.role === 'template' && manager.factoryRole.factory.kind === 'configuration';
}
