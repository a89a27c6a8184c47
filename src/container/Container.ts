import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ComponentClass } from '../component/ComponentDescription.js';
import { ConfigurationAdminService } from '../component/ConfigurationAdminService.js';
import { getComponentDescription } from '../component/describeComponentClass.js';
import type { ServiceToken } from '../component/ServiceToken.js';
import { ConfigAdmin } from '../config/ConfigAdmin.js';
import { ConfigDirectory } from '../config/ConfigDirectory.js';
import type { ConfigurationEntry, ShownConfiguration } from '../config/ConfigurationEntry.js';
import { DeployWatcher } from '../deploy/DeployWatcher.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { InstallProgress, InstallReport, UninstallReport } from '../features/FeatureReports.js';
import { FeatureService } from '../features/FeatureService.js';
import { FeaturesFile } from '../features/FeaturesFile.js';
import { FeatureStateFile } from '../features/FeatureStateFile.js';
import type { InstallHost } from '../features/InstallTransaction.js';
import { sweepTempFiles } from '../fs/writeFileAtomic.js';
import { gatherReadiness } from '../health/gatherReadiness.js';
import type { Readiness } from '../health/Readiness.js';
import { Home } from '../home/Home.js';
import { createLogger } from '../logging/createLogger.js';
import type { ContainerMetrics } from '../metrics/ContainerMetrics.js';
import { loadContainerMetrics } from '../metrics/loadContainerMetrics.js';
import { MetricsService } from '../metrics/MetricsService.js';
import { ModuleLoader } from '../modules/ModuleLoader.js';
import type { ComponentInfo } from '../runtime/ComponentInfo.js';
import type { ComponentManager } from '../runtime/ComponentManager.js';
import { ComponentRuntime } from '../runtime/ComponentRuntime.js';
import type { ComponentState } from '../runtime/ComponentState.js';
import { configurationProblems, configurationReaders, shownConfiguration } from '../runtime/configurationReaders.js';
import { describeComponent } from '../runtime/describeComponent.js';
import type { ServiceRegistration } from '../runtime/ExternalServiceRegistration.js';
import { ExternalServiceUse } from '../runtime/ExternalServiceUse.js';
import { traceInstalls, type OtelTracer } from '../tracing/traceInstalls.js';
import { ContainerEvents, type ContainerEvent } from './ContainerEvents.js';
import type { ContainerOptions } from './ContainerOptions.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 5_000;

/**
 * A Lattice container: register component classes, start, and it wires and activates them in
 * dependency order, following services as they come and go. The facade over the runtime, the
 * configurations, the features and the home's folders.
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
  /** This container's node id, if it has one. */
  readonly nodeId: string | undefined;
  private readonly home: Home | undefined;
  private readonly runtime: ComponentRuntime;
  private readonly loader: ModuleLoader;
  private readonly services: ExternalServiceUse;
  private readonly events: ContainerEvents;
  private phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private configWritesRefused = 0;
  private metricsValue: Promise<ContainerMetrics> | undefined;
  /** Whether installs are traced, once `enableTracing()` has been called. */
  private tracing: Promise<boolean> | undefined;
  private readonly options: ContainerOptions;

  constructor(options: ContainerOptions = {}) {
    this.options = { ...options };
    this.logger = options.logger ?? createLogger({ level: options.logLevel ?? 'info' });
    this.home = options.home === undefined ? undefined : new Home(options.home);
    this.nodeId = options.nodeId;
    this.config = new ConfigAdmin({ logger: this.logger.child({ part: 'config' }), ...(options.env && { env: options.env }) });
    this.runtime = new ComponentRuntime({
      logger: this.logger,
      config: this.config,
      facts: { nodeId: options.nodeId, home: this.home?.root },
      activationTimeoutMs: options.activationTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      deactivationTimeoutMs: options.deactivationTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.injector && { injectorParent: options.injector }),
      ...(options.reactivationLimit !== undefined && { reactivationLimit: options.reactivationLimit }),
    });
    this.runtime.moduleOf = (implementation) => this.moduleShown(implementation);
    this.services = new ExternalServiceUse(this.runtime.registry, () => {
      this.runtime.outsideChange();
    });
    this.events = new ContainerEvents(this.runtime, this.config, this.logger);
    this.configFolder = this.home && new ConfigDirectory({ directory: this.home.config, admin: this.config, logger: this.logger.child({ part: 'config' }), ...options.configWatch, ...(options.maxConfigFileBytes !== undefined && { maxFileBytes: options.maxConfigFileBytes }) });
    if (this.configFolder) this.config.attach(this.configFolder);
    this.config.observeOrigins({ componentCodeRunning: () => this.runtime.componentCodeRunning, outsideChange: () => { this.runtime.outsideChange(); } });
    this.config.checkWith(async (pid, values) => {
      const problems = await configurationProblems(configurationReaders(this.runtime.managers(), pid), values);
      if (problems.length > 0) this.configWritesRefused++;
      return problems;
    });
    this.loader = new ModuleLoader({ logger: this.logger.child({ part: 'modules' }), ...(options.importTimeoutMs !== undefined && { importTimeoutMs: options.importTimeoutMs }) });
    const featureLogger = this.logger.child({ part: 'features' });
    const isRunning = (): boolean => this.running;
    const installHost: InstallHost = {
      config: this.config,
      get running() {
        return isRunning();
      },
      register: (...classes) => this.register(...classes),
      unregister: (...names) => this.unregister(...names),
      component: (name) => this.component(name),
      stateOf: (name) => (this.runtime.has(name) ? this.runtime.get(name).state : undefined),
      onStateChange: (listener) => this.runtime.onStateChange(listener),
      settled: () => this.settled(),
    };
    this.features = new FeatureService(installHost, this.loader, featureLogger, this.home && new FeatureStateFile(this.home.installedFeatures, this.logger), options.installTimeoutMs);
    const featuresPath = options.featuresFile ?? this.home?.featuresFile;
    this.featuresFile = featuresPath === false || featuresPath === undefined || (options.featuresFile === undefined && !existsSync(featuresPath)) ? undefined : new FeaturesFile(resolve(featuresPath), this.features, featureLogger);
    this.deployFolder = this.home && options.deploy !== false ? new DeployWatcher(this.home.deploy, this, this.loader, this.features, this.logger.child({ part: 'deploy' }), typeof options.deploy === 'object' ? options.deploy.settleMs : undefined) : undefined;
    this.registerService(ConfigurationAdminService, this.config, { 'service.description': 'configuration admin' });
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
    return this.runtime.registerAll(classes.map((c) => getComponentDescription(c))).map((m) => m.name);
  }

  /**
   * Registers classes in place of the components named (a new version of a module): every name is checked
   * first, so nothing changes if one is taken by a component not replaced; then the old components go
   * (consumers first, as `unregister`), and the new ones are registered. Resolves once the container is
   * quiet again, with the new components' names.
   * @throws as `register`; should a name be taken while the old ones go, they are registered again.
   */
  async replace(names: readonly string[], classes: readonly ComponentClass[]): Promise<string[]> {
    const descriptions = classes.map((c) => getComponentDescription(c));
    this.runtime.checkNames(descriptions, names);
    const previous = names.map((name) => this.runtime.get(name).description);
    await this.unregister(...names);
    this.runtime.outsideChange();
    let managers: ComponentManager[];
    try {
      managers = this.runtime.registerAll(descriptions);
    } catch (error) {
      this.runtime.registerAll(previous);
      throw error;
    }
    await this.settled();
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
    this.interrupt();
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
      if (this.home) await sweepTempFiles(this.home.data);
      await step(() => this.configFolder?.start());
      await step(() => this.runtime.start());
      await step(() => this.featuresFile?.load());
      await step(() => this.featuresFile?.watch());
      await step(() => this.deployFolder?.loadFeatureFiles());
      await step(() => this.features.restore(this.options.bootFeatures ?? []));
      await step(() => this.deployFolder?.start());
      await step(() => undefined);
    } catch (error) {
      if (this.phase === 'running') {
        this.phase = 'stopping';
        this.interrupt();
        await this.shutdown();
        this.phase = 'stopped';
      }
      throw error;
    }
  }

  /** An import in progress (one whose top-level await never settles, say) is not waited for, nor components that do not settle. */
  private interrupt(): void {
    this.loader.cancel();
    this.runtime.interrupt();
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
    return this.services.register(service, instance, properties);
  }

  /**
   * The best service of `token` matching `filter` (highest ranking, then oldest), activating a delayed
   * component if need be. It stays in use until `ungetService(service)`.
   */
  async getService<T>(token: ServiceToken<T>, filter?: string): Promise<T | undefined> {
    return (await this.services.get(token, filter, true))[0];
  }

  /** Every service of `token` matching `filter`, best first; each stays in use until `ungetService`. */
  getServices<T>(token: ServiceToken<T>, filter?: string): Promise<T[]> {
    return this.services.get(token, filter, false);
  }

  /** Releases a service obtained with `getService`; a delayed component deactivates when nobody uses it. */
  ungetService(service: unknown): void {
    this.services.unget(service);
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

  /** A configuration as people may see it (`config get`, the control API); see `shownConfiguration`. */
  shownConfiguration(entry: ConfigurationEntry): ShownConfiguration {
    return shownConfiguration(entry, configurationReaders(this.runtime.managers(), entry.pid), this.config.raw(entry.pid));
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
    if (file === undefined || this.home === undefined) return file;
    return relative(this.home.root, file).startsWith('..') ? file : relative(this.home.root, file);
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

  /** Listens to component, service and configuration events; returns the function that stops listening. */
  on(listener: (event: ContainerEvent) => void): () => void {
    return this.events.on(listener);
  }

  /**
   * Resolves when the component is active.
   * @throws LatticeError WAIT_TIMEOUT after `timeoutMs`, saying why it is not active.
   */
  whenActive(name: string, timeoutMs = 10_000): Promise<ComponentInfo> {
    return this.whenState(name, 'active', timeoutMs);
  }

  /** Resolves when the component is in `state` (or one of the states). @throws LatticeError WAIT_TIMEOUT */
  async whenState(name: string, state: ComponentState | readonly ComponentState[], timeoutMs = 10_000): Promise<ComponentInfo> {
    return this.describe(await this.runtime.whenState(name, typeof state === 'string' ? [state] : state, timeoutMs));
  }

  /**
   * Whether the container is ready: started (its boot features installed), every counted component
   * active or satisfied, and every health check (`HealthCheckService`) up within its timeout.
   */
  readiness(): Promise<Readiness> {
    return gatherReadiness(this.runtime, this.services, {
      phase: this.phase === 'running' ? (this.starting ? 'starting' : 'running') : this.phase === 'stopping' ? 'stopping' : 'stopped',
      featuresNotInstalled: this.features.failedAtStart(),
      ...(this.options.readyComponents && { counted: this.options.readyComponents }),
      timeoutMs: this.options.healthCheckTimeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
    });
  }

  /**
   * Turns metrics on (loading prom-client, which the container does not load otherwise): the container's
   * metrics and Node's process metrics in a registry that is also registered as `MetricsService`, for
   * components to add theirs. Call it before `start()` to observe every activation. Calling it again
   * gives the same metrics.
   */
  enableMetrics(): Promise<ContainerMetrics> {
    return (this.metricsValue ??= (async () => {
      const metrics = await loadContainerMetrics(this.runtime, {
        configWritesRefused: () => this.configWritesRefused,
        features: () => this.features.counts,
        onReload: (listener) => this.configFolder?.onReload((_pid, outcome) => {
          listener(outcome);
        }),
      });
      this.registerService(MetricsService, metrics.registry, { 'service.description': 'Prometheus metrics registry' });
      return metrics;
    })());
  }

  /** The metrics, once `enableMetrics()` has been called. */
  get metrics(): Promise<ContainerMetrics> | undefined {
    return this.metricsValue;
  }

  /**
   * Makes each feature install an OpenTelemetry trace (see `installSpans`), through `tracer`, else the
   * tracer named `lattice` of the registered tracer provider (a no-op without an OpenTelemetry SDK set
   * up). Resolves false, doing nothing, when `@opentelemetry/api` is not installed; calling it again
   * changes nothing.
   */
  enableTracing(tracer?: OtelTracer): Promise<boolean> {
    return (this.tracing ??= traceInstalls(this.features, tracer));
  }

  /** Resolves once no component is changing state. */
  settled(): Promise<void> {
    return this.runtime.settled();
  }
}
