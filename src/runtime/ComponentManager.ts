import type { Logger } from 'pino';
import type { ComponentDescription } from '../component/ComponentDescription.js';
import type { ReferenceDescription } from '../component/ReferenceDescription.js';
import type { ConfigurationValues } from '../config/ConfigurationEntry.js';
import type { StandardSchemaV1 } from '../config/StandardSchema.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { ComponentCode, methodOf } from './ComponentCode.js';
import type { ComponentContext, DeactivationContext } from './ComponentContext.js';
import type { ComponentHost } from './ComponentHost.js';
import { COMPONENT_NODE, isComponentNode, type ComponentNode } from './ComponentNode.js';
import type { ComponentState, DeactivationReason } from './ComponentState.js';
import { ConfigurationIntake, type DeliveredConfiguration } from './ConfigurationIntake.js';
import type { ComponentBuilder } from './InstanceFactory.js';
import { InstanceBinding, type BoundInstance } from './InstanceBinding.js';
import { andThen, type MaybePromise } from './MaybePromise.js';
import { findPath } from './findPath.js';
import { REST_MS, ReactivationGuard } from './ReactivationGuard.js';
import { ReferenceManager } from './ReferenceManager.js';
import { ServiceHolder, type Acquisition, type Bindings } from './ServiceHolder.js';
import { COMPONENT_ID, COMPONENT_NAME, type ServiceProperties, type ServiceRecord, type ServiceUser } from './ServiceRecord.js';
import { UseCounter } from './UseCounter.js';

export type { DeliveredConfiguration } from './ConfigurationIntake.js';

/** The live instance of a component, and what it is bound to. */
export interface LiveInstance extends BoundInstance {
  /** When it was activated, in ms since the epoch (a number: a Date per component costs 96 bytes). */
  readonly activatedAt: number;
  readonly activationMs: number;
  /** The configuration version the instance was activated or last modified with. */
  configVersion: number;
}

/** What makes a component other than a plain one: a builder and a configuration source of its own, its place in a factory. */
export interface ManagerOptions {
  /** Builds the instance instead of inversify (a factory template's instance is the factory). */
  readonly builder?: ComponentBuilder;
  /** Values over its configuration (a component factory's instance: the properties it was made with). */
  readonly configOverlay?: ConfigurationValues;
  readonly factoryRole?: FactoryRole;
}

/** A component that is a factory's template, or one of its instances. */
export interface FactoryRole {
  readonly role: 'template' | 'instance';
  readonly factory: FactoryView;
}

/** A factory as diagnostics show it. */
export interface FactoryView {
  readonly kind: 'configuration' | 'component';
  /** The template's name. */
  readonly name: string;
  /** The factory PID (configuration factories) or the factory name (component factories). */
  readonly id: string;
  instanceNames(): string[];
  /** The template or one of the instances changed state. */
  componentStateChanged(component: ComponentManager): void;
  /** The runtime removed one of its instances. */
  forget(component: ComponentManager): void;
  /** A factory whose instances read configurations of their own: what a new one would refuse in `values` (`$.path: reason` each). */
  configurationProblems?(values: ConfigurationValues): Promise<string[]>;
}

/** A failure kept for `component(name)`. */
export interface FailureInfo {
  readonly code: string;
  readonly message: string;
  readonly stack?: string;
  readonly at: Date;
}

/** Where a component wants to be, computed from its inputs; `step()` moves it there. */
type Goal = 'disabled' | 'unsatisfied-configuration' | 'unsatisfied-reference' | 'failed-activation' | 'satisfied' | 'active';

const MAX_ROUNDS = 1000;
/** Deactivations after which the component comes back as soon as it can: the ones a loop repeats. */
const RETURNING: ReadonlySet<DeactivationReason> = new Set(['reference-changed', 'reference-unsatisfied', 'configuration-changed', 'configuration-deleted']);
let nextComponentId = 1;
const moved = (): true => true;

/**
 * Owns one component: where it should be (its goal), its state and its service registration; the
 * rest is done by pieces it owns: ConfigurationIntake (its configuration), ServiceHolder (the services
 * it holds), InstanceBinding (what its instance is bound to) and ComponentCode (calling its code).
 *
 * Every change (a service came or went, enable, disable, a user arrived) only requests a reconcile;
 * reconciles of one component run one at a time and each moves the component towards the goal its
 * inputs call for, so a storm of events ends in the right state. Waits on other components go through
 * the host's WaitGraph, so that they never close a circle.
 */
export class ComponentManager implements ComponentNode {
  readonly [COMPONENT_NODE] = true as const;
  readonly id = nextComponentId++;
  readonly references: readonly ReferenceManager[];
  /** Some reference is dynamic (only those let go of a service on the spot; see releasesOnItsOwn). */
  private readonly hasDynamicReference: boolean;
  /** The component's child logger, made when first used: most components of a big graph never log. */
  private loggerValue: Logger | undefined;
  private readonly builder: ComponentBuilder;
  private readonly configIntake: ConfigurationIntake;
  private readonly holder: ServiceHolder;
  private readonly binding: InstanceBinding;
  private readonly code: ComponentCode;
  private stateValue: ComponentState = 'disabled';
  private enabled: boolean;
  private opened = false;
  private disposed = false;
  private stopping = false;
  private restartRequested = false;
  private registration: ServiceRecord | undefined;
  private registeredVersion = 0;
  private instance: LiveInstance | undefined;
  /** Services chosen for the activation in progress (read by the instance builder). */
  private activation: Bindings | undefined;
  private readonly users = new UseCounter();
  /** Components that bound late because this one was still activating; told when it is active. */
  private lateConsumers: Set<ComponentNode> | undefined;
  private failureValue: FailureInfo | undefined;
  private failedHold = false;
  /** The failure is a reactivation loop: only enable, restart or a new start retry it, not a change of services. */
  private loopHold = false;
  /**
   * When its last reconcile ended, while none is queued, and how many turns pace() had forced then (quiet
   * across a forced turn is no rest: a loop spans those).
   */
  private quietSince: { readonly at: number; readonly forcedTurns: number } | undefined;
  /** Deactivating, and waiting for its consumers to let go of its service. */
  private awaitingConsumers = false;
  /** In its deactivate method: what it disposes there may be services it holds (a factory's instances, say). */
  private inDeactivate = false;
  private guard: ReactivationGuard | undefined;
  /** The services a failed activation would have bound; a change to them is worth a retry. */
  private failedChoice: string | undefined;
  private blockedValue: string | undefined;
  private lastReason: DeactivationReason | undefined;
  /**
   * Reconciles run one after another; the requests made before the next run starts share it. Two fields
   * and a closure per request, not a queue object with a closure per component: in a 10,000-component
   * start such an object cost about 150 bytes a component and a few percent of the time.
   */
  private tail: Promise<void> = Promise.resolve();
  private queuedRun: Promise<void> | undefined;

  /** Its place in a factory, if it has one. */
  readonly factoryRole: FactoryRole | undefined;

  constructor(
    readonly description: ComponentDescription,
    private readonly host: ComponentHost,
    options?: ManagerOptions,
  ) {
    this.factoryRole = options?.factoryRole;
    this.enabled = description.enabled;
    const changed = (): void => {
      this.referenceChanged();
    };
    this.references = description.references.map((d) => new ReferenceManager(d, host.registry, changed, this));
    this.hasDynamicReference = this.references.some((r) => r.dynamic);
    const logger = (): Logger => this.logger;
    this.configIntake = new ConfigurationIntake(description, this.references, host.config, logger, options?.configOverlay);
    this.holder = new ServiceHolder(this, host.waits, () => {
      this.noteInputChanged();
      void this.requestReconcile();
    });
    this.code = new ComponentCode(host, description);
    this.binding = new InstanceBinding(description.name, this.references, this.holder, this.code, logger, (record) => this.isUsedBy(record));
    this.builder = options?.builder ?? host.instances.add(description, (ref) => this.injectedValue(ref));
  }

  get name(): string {
    return this.description.name;
  }

  get userName(): string {
    return this.description.name;
  }

  get componentName(): string {
    return this.description.name;
  }

  get logger(): Logger {
    return (this.loggerValue ??= this.host.logger.child({ component: this.description.name }));
  }

  get propertySchema(): StandardSchemaV1 | undefined {
    return this.description.configSchema;
  }

  get state(): ComponentState {
    return this.stateValue;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Unregistered: removed from the runtime, or on its way out. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  get failure(): FailureInfo | undefined {
    return this.failureValue;
  }

  /** Why the last activation could not get a mandatory service, if it could not. */
  get blocked(): string | undefined {
    return this.blockedValue;
  }

  get currentInstance(): LiveInstance | undefined {
    return this.instance;
  }

  get serviceRecord(): ServiceRecord | undefined {
    return this.registration;
  }

  get lastDeactivationReason(): DeactivationReason | undefined {
    return this.lastReason;
  }

  get useCount(): number {
    return this.users.size;
  }

  /**
   * Component properties: declared, then the configuration as written (as in DS, what the schema makes
   * of it is `context.config`), then `component.name` and `component.id`.
   */
  get properties(): Readonly<Record<string, unknown>> {
    const config = this.configIntake.delivered;
    const properties: Record<string, unknown> = { ...this.description.properties, ...config?.raw };
    for (const [ref, target] of Object.entries(config?.targets ?? {})) properties[`${ref}.target`] = target;
    properties[COMPONENT_NAME] = this.name;
    properties[COMPONENT_ID] = this.id;
    return properties;
  }

  /** The configuration in force, if any. */
  get delivered(): DeliveredConfiguration | undefined {
    return this.configIntake.delivered;
  }

  /** Why the latest configuration was not delivered (invalid, missing), if it was not. */
  get configProblem(): string | undefined {
    return this.configIntake.problem;
  }

  // ---- commands from the runtime ----

  /** Starts tracking services and moving towards the goal (the container has started). */
  open(): Promise<void> {
    this.opened = true;
    // A new start is a new chance: forget failures and refusals from before.
    this.failedHold = false;
    this.loopHold = false;
    this.noteInputChanged();
    this.configIntake.open(() => void this.requestReconcile());
    for (const ref of this.references) ref.open();
    return this.requestReconcile();
  }

  enable(): Promise<void> {
    this.enabled = true;
    this.failedHold = false;
    this.loopHold = false;
    this.noteInputChanged();
    return this.requestReconcile();
  }

  disable(): Promise<void> {
    this.enabled = false;
    return this.requestReconcile();
  }

  /** Deactivates and activates a new instance; retries a failed one. Does not enable a disabled one. */
  restart(): Promise<void> {
    this.restartRequested = this.instance !== undefined;
    this.failedHold = false;
    this.loopHold = false;
    this.noteInputChanged();
    return this.requestReconcile();
  }

  /** Deactivates for good: the container stops, or the component is unregistered. */
  async shutdown(reason: 'container-stopped' | 'disposed'): Promise<void> {
    if (reason === 'disposed') {
      this.disposed = true;
      this.holder.forgetLateProviders();
    } else this.stopping = true;
    await this.requestReconcile();
    for (const ref of this.references) ref.close();
    this.configIntake.close();
    this.opened = false;
    this.stopping = false;
    // Once: a stop and a removal may both be under way.
    if (reason === 'disposed') this.builder.dispose();
  }

  /** Runs a reconcile after the one in progress; calls made before it starts share it. */
  requestReconcile(): Promise<void> {
    if (this.queuedRun) return this.queuedRun;
    // A component that stayed quiet for a while rested: a new window for its reactivation guard. One
    // asked again at once (a loop on microtasks) did not.
    const quiet = this.quietSince;
    if (quiet && performance.now() - quiet.at >= REST_MS && quiet.forcedTurns === this.host.forcedTurnCount) this.guard?.rest();
    this.quietSince = undefined;
    const run = this.tail.then(() => {
      this.queuedRun = undefined;
      return this.reconcile();
    });
    this.queuedRun = run;
    this.tail = run;
    this.host.track(run);
    if (this.guard) {
      void run.then(() => {
        if (this.tail === run) this.quietSince = { at: performance.now(), forcedTurns: this.host.forcedTurnCount };
      });
    }
    return run;
  }

  /**
   * What this component would refuse in `values` for its configuration PID (`$.path: reason` each),
   * without delivering anything: lets a writer refuse values before they reach the file.
   */
  async configurationProblems(values: ConfigurationValues): Promise<string[]> {
    const factory = this.factoryRole?.role === 'template' ? this.factoryRole.factory : undefined;
    if (factory?.configurationProblems) return factory.configurationProblems(values);
    if (this.description.configurationPolicy === 'ignore') return [];
    const checked = await this.configIntake.check(values);
    if (!checked.delivered) return [...checked.problems];
    return [...checked.problems, ...(await this.instanceProblems(checked.delivered.values))];
  }

  /** What the active instance's @CheckConfiguration says of `config` (the schema's output). */
  private async instanceProblems(config: ConfigurationValues): Promise<string[]> {
    const instance = this.state === 'active' ? this.instance : undefined;
    const method = this.description.checkConfiguration;
    const call = instance && this.callWithConfig(instance, 'checkConfiguration', method, config);
    if (call === undefined) return [];
    try {
      const problems = await call;
      if (problems === undefined) return [];
      if (!Array.isArray(problems)) return [`${method ?? ''}() returned ${typeof problems}, not a list of problems`];
      return problems.map(String);
    } catch (error) {
      return [`${method ?? ''}() threw: ${(error as Error).message}`];
    }
  }

  // ---- ServiceProvider: the component's service, activated on demand ----

  async getService(record: ServiceRecord, user: ServiceUser): Promise<unknown> {
    if (record !== this.registration || !record.isRegistered()) return undefined;
    this.users.add(user);
    // While the record stays registered the component can serve it: even one deactivating because it was
    // unused comes back for this new user. A deactivation that takes the service away clears the
    // registration at once, so this never waits on a component that waits for its users.
    for (let attempt = 0; attempt < MAX_ROUNDS; attempt++) {
      if (record !== this.registration || !record.isRegistered()) break;
      if (this.state === 'active' && this.instance) return this.instance.object;
      await this.requestReconcile();
    }
    if (record === this.registration) this.ungetService(record, user);
    return undefined;
  }

  servesAtOnce(record: ServiceRecord): boolean {
    return record === this.registration && record.isRegistered() && this.state === 'active' && this.instance !== undefined;
  }

  serveAtOnce(record: ServiceRecord, user: ServiceUser): unknown {
    if (!this.servesAtOnce(record)) throw new Error(`internal: ${this.name} cannot serve service ${record.id} at once`);
    this.users.add(user);
    return (this.instance as LiveInstance).object;
  }

  ungetService(record: ServiceRecord, user: ServiceUser): void {
    if (record !== this.registration || !this.users.remove(user)) return;
    if (this.users.size === 0 && !this.description.immediate) void this.requestReconcile();
  }

  bindLate(consumer: ComponentNode): void {
    (this.lateConsumers ??= new Set()).add(consumer);
  }

  forgetLate(consumer: ComponentNode): void {
    this.lateConsumers?.delete(consumer);
  }

  providerReady(provider: ComponentNode): void {
    this.holder.providerReady(provider);
  }

  // ---- ServiceUser: releasing services that go away ----

  whenReleased(record: ServiceRecord): Promise<void> {
    if (!this.holder.holds(record)) return Promise.resolve();
    const released = this.holder.whenReleased(record);
    if (this.releasesOnItsOwn(record)) void this.binding.unbindGone(this.instance as LiveInstance, record);
    else void this.requestReconcile();
    return released;
  }

  /**
   * True when this component lets go of `record` without its reconcile (which may be waiting on the one
   * asking): it is waiting for its own consumers while it deactivates, or running its deactivate method
   * (which may be waiting for that very provider to go), and holds `record` only through dynamic
   * references, which it can unbind on the spot. A provider then waits for it safely.
   */
  releasesOnItsOwn(record: ServiceRecord): boolean {
    if (this.binding.isUnbinding(record)) return true;
    if (!(this.awaitingConsumers || this.inDeactivate) || !this.instance || !this.hasDynamicReference) return false;
    let held = false;
    for (const [ref, list] of this.instance.bindings) {
      if (!list.some((b) => b.record === record)) continue;
      if (!ref.dynamic) return false;
      held = true;
    }
    return held;
  }

  /**
   * The components whose services this one holds, or could bind (the providers of its references'
   * candidates): what it uses, or would, if it (re)activated now.
   */
  dependencies(): Set<ComponentNode> {
    const found = new Set<ComponentNode>();
    for (const record of this.holder.heldRecords()) if (isComponentNode(record.provider)) found.add(record.provider);
    for (const ref of this.references) {
      for (const record of ref.candidates()) if (isComponentNode(record.provider)) found.add(record.provider);
    }
    return found;
  }

  /** True when the component providing `record` uses this component's service or could, directly or not. */
  private isUsedBy(record: ServiceRecord): boolean {
    const provider = record.provider;
    if (!isComponentNode(provider) || !this.registration) return false;
    return provider === this || findPath<ComponentNode>(provider, this, (m) => m.dependencies()) !== undefined;
  }

  private referenceChanged(): void {
    this.noteInputChanged();
    if (this.failedHold && !this.loopHold && this.choice() !== this.failedChoice) this.failedHold = false;
    void this.requestReconcile();
  }

  private noteInputChanged(): void {
    this.holder.inputChanged();
    this.blockedValue = undefined;
  }

  /** The services an activation would bind now, as a key to compare. */
  private choice(): string {
    return this.references.map((r) => (r.multiple ? r.candidates() : r.candidates().slice(0, 1)).map((c) => c.id).join(',')).join('|');
  }

  // ---- the reconcile loop ----

  private goal(): Goal {
    if (!this.opened || this.disposed || this.stopping || !this.enabled) return 'disabled';
    const policy = this.description.configurationPolicy;
    const config = this.configIntake.delivered;
    if (policy !== 'ignore' && (!config || (policy === 'require' && !config.present))) return 'unsatisfied-configuration';
    // A loop is held whatever its references do next (they are what the loop keeps changing).
    if (this.loopHold) return 'failed-activation';
    if (!this.references.every((r) => r.isSatisfied()) || this.blockedValue !== undefined) return 'unsatisfied-reference';
    if (this.failedHold) return 'failed-activation';
    if (this.description.immediate || this.users.size > 0) return 'active';
    return 'satisfied';
  }

  /** The queue's task: a static function, not a closure per component. */
  private static reconcileOf(this: void, manager: ComponentManager): Promise<void> {
    return manager.reconcile();
  }

  private async reconcile(): Promise<void> {
    try {
      let waited = true;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        // A step that did not wait is followed at once, without pacing: a component whose providers are
        // active goes from registered to active in one go (at most a few steps do not wait: activating
        // does, without a wait; deactivating and rebinding do wait), so its consumers find it active.
        // (A reconcile that waited for a turn was counted in it: they go on 256 at a time.)
        const turn = waited ? this.host.pace() : undefined;
        if (turn) await turn;
        const moving = this.step();
        waited = moving instanceof Promise;
        if (!(waited ? await moving : moving)) return;
      }
      this.logger.error(`component ${this.name} did not settle after ${MAX_ROUNDS} rounds; its providers keep changing`);
    } catch (error) {
      // step() handles user errors itself; this is a bug in Lattice, logged rather than lost.
      this.logger.error({ err: error }, `internal error while reconciling component ${this.name}`);
    }
  }

  /** One move towards the goal; true when it changed something and the goal must be looked at again. */
  private step(): MaybePromise<boolean> {
    if (this.configIntake.stale) {
      const read = this.configIntake.read();
      if (read instanceof Promise) return read.then(() => this.move());
    }
    return this.move();
  }

  private move(): MaybePromise<boolean> {
    const goal = this.goal();
    if (goal === 'active' || goal === 'satisfied') {
      if (!this.registration) this.registerServices();
      if (goal === 'satisfied') {
        if (this.instance) return this.deactivateInstance('unused', false).then(moved);
        this.refreshServiceProperties();
        this.setState('satisfied');
        return false;
      }
      const instance = this.instance;
      if (!instance) return andThen(this.activate(), moved);
      if (this.restartRequested) {
        this.restartRequested = false;
        return this.deactivateInstance('restart', true).then(moved);
      }
      return andThen(this.followReferences(instance), (changed) => changed || this.keepActive(instance));
    }
    if (this.instance) return this.deactivateInstance(this.reasonFor(goal), true).then(moved);
    if (this.registration) return this.unregisterServices().then(moved);
    this.restartRequested = false;
    this.setState(goal);
    return false;
  }

  /** The live instance, its references followed, takes a new configuration, or is active as it is. */
  private keepActive(instance: LiveInstance): MaybePromise<boolean> {
    if (instance.configVersion !== this.configIntake.version) {
      if (this.description.modified === undefined) return this.deactivateInstance('configuration-changed', true).then(moved);
      return this.callModified(instance).then(moved);
    }
    this.refreshServiceProperties();
    this.setState('active');
    return false;
  }

  /** The live instance follows its references; true when that changed something. */
  private followReferences(instance: LiveInstance): MaybePromise<boolean> {
    return andThen(this.binding.update(instance), (update) => {
      if (update.kind === 'rebuild') return this.deactivateInstance('reference-changed', true).then(moved);
      if (update.kind === 'unsatisfied') {
        this.blockedValue = update.blocked;
        return this.deactivateInstance('reference-unsatisfied', true).then(moved);
      }
      return update.kind === 'changed';
    });
  }

  private reasonFor(goal: Goal): DeactivationReason {
    if (this.disposed) return 'disposed';
    if (this.stopping) return 'container-stopped';
    if (goal === 'disabled') return 'disabled';
    if (goal === 'unsatisfied-configuration') return 'configuration-deleted';
    return 'reference-unsatisfied';
  }

  private setState(state: ComponentState, reason?: DeactivationReason): void {
    if (this.stateValue === state) return;
    const previous = this.stateValue;
    this.stateValue = state;
    this.host.stateChanged(this, previous, reason);
    this.factoryRole?.factory.componentStateChanged(this);
    if (state === 'active' && this.lateConsumers?.size) {
      const consumers = [...this.lateConsumers];
      this.lateConsumers = undefined;
      for (const consumer of consumers) consumer.providerReady(this);
    }
  }

  // ---- registration ----

  private registerServices(): void {
    if (this.description.services.length === 0) return;
    this.registration = this.host.registry.register(this.description.services, this, this.serviceProperties());
    this.registeredVersion = this.configIntake.version;
  }

  /** Service properties follow the configuration (consumers' filters see the change). */
  private refreshServiceProperties(): void {
    if (!this.registration || this.registeredVersion === this.configIntake.version) return;
    this.registeredVersion = this.configIntake.version;
    this.host.registry.setProperties(this.registration, this.serviceProperties());
  }

  /** Takes the service away, then waits until every component using it has let go. */
  private async unregisterServices(): Promise<void> {
    const record = this.registration;
    if (!record) return;
    this.registration = undefined;
    const users = this.users.users();
    this.users.clear();
    this.host.registry.unregister(record);
    this.host.waits.abandonAcquires(this);
    await Promise.all(
      users.map((user) => {
        const released = user.whenReleased?.(record) ?? Promise.resolve();
        return isComponentNode(user) && !user.releasesOnItsOwn(record) ? this.host.waits.wait(this, user, 'breakable', released, 'release') : released;
      }),
    );
    record.status = 'unregistered';
  }

  /** Service properties: the component's, without private ones (names starting with "."). */
  private serviceProperties(): ServiceProperties {
    // fromEntries defines each key (an assignment of "__proto__" would set the prototype instead).
    return Object.fromEntries(Object.entries(this.properties).filter(([key]) => !key.startsWith('.')));
  }

  // ---- activation ----

  private activate(): MaybePromise<void> {
    this.setState('activating');
    const started = performance.now();
    const bindings: Bindings = new Map();
    return andThen(this.acquireAll(bindings, this.holder.epoch, 0), (got) => (got ? this.buildInstance(bindings, started) : undefined));
  }

  /** Services for the references from `index` on; false (all released) when a mandatory one got none. */
  private acquireAll(bindings: Bindings, epoch: number, index: number): MaybePromise<boolean> {
    for (let i = index; i < this.references.length; i++) {
      const ref = this.references[i] as ReferenceManager;
      const acquiring = this.holder.acquireFor(ref, ref.candidates(), epoch);
      if (acquiring instanceof Promise) return acquiring.then((got) => this.took(ref, got, bindings, epoch) && this.acquireAll(bindings, epoch, i + 1));
      if (!this.took(ref, acquiring, bindings, epoch)) return false;
    }
    return true;
  }

  /** Keeps what a reference got; false (all released) when it is mandatory and got nothing. */
  private took(ref: ReferenceManager, { bound, reason }: Acquisition, bindings: Bindings, epoch: number): boolean {
    // A copy of exactly its length: the list lives as long as the instance, and pushing left it room to grow.
    bindings.set(ref, bound.slice());
    if (!ref.mandatory || bound.length > 0) return true;
    this.holder.releaseAll(bindings);
    // Inputs that changed meanwhile deserve another try (the loop comes back); otherwise wait for a change.
    if (this.holder.epoch === epoch) {
      this.blockedValue = `reference "${ref.name}": ${reason ?? 'no service could be had'}`;
      this.logger.warn(`cannot activate ${this.name}: ${this.blockedValue}`);
    }
    // Attempts that keep failing as the components around keep changing are a loop too.
    this.noteReactivation(`activation-blocked (${ref.name})`);
    return false;
  }

  /** Constructor, bind methods, activate: each goes on at once when the one before did not wait. */
  private buildInstance(bindings: Bindings, started: number): MaybePromise<void> {
    this.activation = bindings;
    const progress: { created?: object; work?: MaybePromise<object> } = {};
    const build = (): MaybePromise<object> =>
      andThen(this.builder.create(), (object) => {
        progress.created = object;
        return andThen(this.binding.bindAll(object, bindings), () =>
          andThen(methodOf(object, this.description.activate)?.call(object, this.context(bindings)), () => object),
        );
      });
    let built: MaybePromise<object>;
    try {
      built = this.code.invoke('activate', () => (progress.work = build()));
    } catch (error) {
      return this.activationFailed(error, bindings, progress);
    }
    if (built instanceof Promise) {
      return built.then(
        (object) => {
          this.activated(object, bindings, started);
        },
        (error: unknown) => this.activationFailed(error, bindings, progress),
      );
    }
    this.activated(built, bindings, started);
  }

  private activated(object: object, bindings: Bindings, started: number): void {
    this.activation = undefined;
    this.failureValue = undefined;
    this.instance = { object, bindings, activatedAt: Date.now(), activationMs: performance.now() - started, configVersion: this.configIntake.version };
  }

  private activationFailed(error: unknown, bindings: Bindings, progress: { created?: object; work?: MaybePromise<object> }): MaybePromise<void> {
    this.activation = undefined;
    let unbound: MaybePromise<void> = undefined;
    if (LatticeError.is(error, ErrorCode.ACTIVATION_TIMEOUT) && progress.work instanceof Promise) this.cleanUpLateActivation(progress.work, bindings);
    else if (progress.created) unbound = this.binding.unbindAll(progress.created, bindings);
    return andThen(unbound, () => {
      this.holder.releaseAll(bindings);
      this.recordFailure(error);
      this.noteReactivation('activation-failed');
    });
  }

  /** An activate that timed out may still finish: then deactivate that orphan so it can let go of what it opened. */
  private cleanUpLateActivation(work: Promise<object>, bindings: Bindings): void {
    const late = new Map(bindings);
    work.then(
      async (orphan) => {
        this.logger.warn(`activate() of ${this.name} finished after its timeout; deactivating that late instance`);
        try {
          await methodOf(orphan, this.description.deactivate)?.call(orphan, this.context(late, 'activation-timeout'));
        } catch (error) {
          this.logger.error({ err: error }, `deactivate() of the late instance of ${this.name} threw`);
        }
      },
      (error: unknown) => {
        this.logger.warn({ err: error }, `activate() of ${this.name} failed after its timeout`);
      },
    );
  }

  private recordFailure(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    const code = LatticeError.is(err) ? err.code : ErrorCode.ACTIVATION_FAILED;
    this.failureValue = { code, message: err.message, ...(err.stack !== undefined && { stack: err.stack }), at: new Date() };
    this.failedHold = true;
    this.failedChoice = this.choice();
    const module = this.host.moduleOf?.(this.description.implementation);
    this.logger.error({ err, ...(module !== undefined && { module }) }, `component ${this.name}${module === undefined ? '' : ` (from ${module})`} failed to activate: ${err.message}`);
  }

  private injectedValue(ref: ReferenceDescription): unknown {
    const manager = this.references.find((r) => r.description === ref);
    const bindings = this.activation ?? this.instance?.bindings;
    const bound = (manager && bindings?.get(manager)) ?? [];
    return manager?.multiple ? bound.map((b) => b.service) : bound[0]?.service;
  }

  // ---- configuration of a live instance ----

  /** Delivers a new configuration to the live instance; if @Modified throws, the instance stays active. */
  private async callModified(instance: LiveInstance): Promise<void> {
    instance.configVersion = this.configIntake.version;
    try {
      await this.callWithConfig(instance, 'modified', this.description.modified);
    } catch (error) {
      this.logger.error({ err: error }, `modified() of ${this.name} threw: ${(error as Error).message}; it stays active`);
    }
  }

  /**
   * Calls a method of the live instance that takes a configuration (@Modified, @CheckConfiguration):
   * `config` (default: the one in force) and the context. Undefined when the class has no such method.
   * @throws what the method throws, or the timeout
   */
  private callWithConfig(instance: LiveInstance, kind: 'modified' | 'checkConfiguration', method: string | undefined, config?: ConfigurationValues): Promise<unknown> | undefined {
    return this.code.call(kind, instance.object, method, () => {
      const context = this.context(instance.bindings);
      return [config ?? context.config, context];
    });
  }

  // ---- deactivation ----

  private async deactivateInstance(reason: DeactivationReason, unregister: boolean): Promise<void> {
    const instance = this.instance;
    if (!instance) return;
    this.restartRequested = false;
    this.lastReason = reason;
    if (RETURNING.has(reason)) this.noteReactivation(reason);
    this.setState('deactivating', reason);
    if (unregister) {
      this.awaitingConsumers = true;
      try {
        // About to wait for our consumers: first let go of leaving services we hold dynamically, whose
        // providers may be those very consumers, waiting for that (see releasesOnItsOwn).
        if (this.users.size > 0 && this.hasDynamicReference) {
          const leaving = [...instance.bindings].flatMap(([ref, list]) => (ref.dynamic ? list.filter((b) => !b.record.isRegistered()) : []));
          await Promise.all([...new Set(leaving.map((b) => b.record))].map((record) => this.binding.unbindGone(instance, record)));
        }
        await this.unregisterServices();
      } finally {
        this.awaitingConsumers = false;
      }
    }
    this.inDeactivate = true;
    try {
      await this.code.call('deactivate', instance.object, this.description.deactivate, () => [this.context(instance.bindings, reason)]);
    } catch (error) {
      this.logger.error({ err: error }, `deactivate() of ${this.name} failed: ${(error as Error).message}`);
    } finally {
      this.inDeactivate = false;
    }
    await this.binding.unbindAll(instance.object, instance.bindings);
    this.holder.releaseAll(instance.bindings);
    this.instance = undefined;
  }

  /**
   * Counts a deactivation that a new instance will follow; the same cause more than the limit within a
   * window (see ReactivationGuard) is a loop, which fails the component (it stays failed until enable or
   * restart).
   */
  private noteReactivation(reason: string): void {
    if (this.loopHold) return;
    const cause = `${reason}, ${this.bindingKey()}`;
    this.guard ??= new ReactivationGuard(this.host.reactivationLimit);
    if (!this.guard.note(this.host.settleCount, this.host.outsideChangeCount, cause)) return;
    const cycle = this.loopCycle(reason);
    const same = this.guard.count(cause) > this.host.reactivationLimit;
    const ms = Math.round(this.guard.elapsedMs());
    const how = same
      ? `went round the same change ${this.guard.count(cause)} times in ${ms} ms (${cause})`
      : `went round ${this.host.reactivationLimit * 10 + 1} changes in ${ms} ms without resting (the last: ${cause})`;
    this.failedHold = true;
    this.recordFailure(
      new LatticeError(
        ErrorCode.REACTIVATION_LOOP,
        `Component ${this.name} ${how}, so it was stopped: ` +
          `${cycle ? `${cycle.join(' → ')} keep changing each other` : 'what it binds keeps changing as it activates'}. ` +
          `Break the loop (make a static greedy reference in it reluctant or dynamic, or a reference optional and dynamic), then enable or restart ${this.name}.`,
        { component: this.name, cause, ...(cycle && { cycle }) },
      ),
    );
    this.loopHold = true;
  }

  /**
   * The components of the loop, when the references that make this component change lead back to it:
   * `name → provider → ... → name`.
   */
  private loopCycle(reason: string): string[] | undefined {
    const bindings = this.instance?.bindings;
    const changing =
      reason === 'reference-changed' && bindings ? this.references.filter((r) => !r.dynamic && this.binding.needsNewInstance(r, bindings.get(r) ?? [])) : this.references;
    for (const ref of changing) {
      const records = [...ref.candidates(), ...(bindings?.get(ref) ?? []).map((b) => b.record)];
      for (const record of records) {
        const provider = record.provider;
        if (!isComponentNode(provider)) continue;
        const path = findPath<ComponentNode>(provider, this, (m) => m.dependencies());
        if (path) return [this.name, provider.name, ...path.map((m) => m.name)];
      }
    }
    return undefined;
  }

  /**
   * The providers each reference would bind now, by component name (a provider that comes back gets a
   * new service id), or `outside` for services registered from outside (one made anew each round is
   * still the same cause).
   */
  private bindingKey(): string {
    return this.references
      .map((r) => `${r.name}=${(r.multiple ? r.candidates() : r.candidates().slice(0, 1)).map((c) => c.provider.componentName ?? 'outside').join('+') || 'none'}`)
      .join(' ');
  }

  /** What lifecycle methods get; with a reason, the deactivation context (its logger made only if used). */
  private context(bindings: Bindings): ComponentContext;
  private context(bindings: Bindings, reason: DeactivationReason): DeactivationContext;
  private context(bindings: Bindings, reason?: DeactivationReason): ComponentContext | DeactivationContext {
    const services = (name: string): unknown[] => {
      const ref = this.references.find((r) => r.name === name);
      if (!ref) {
        throw new LatticeError(ErrorCode.REFERENCE_INVALID, `Component ${this.name} has no reference named "${name}".`, { component: this.name });
      }
      return (bindings.get(ref) ?? []).map((b) => b.service);
    };
    const logger = (): Logger => this.logger;
    const config = this.configIntake.delivered;
    return {
      name: this.name,
      properties: this.properties,
      config: config?.values ?? {},
      configuration: { pid: this.description.configurationPid, present: config?.present ?? false },
      container: this.host.facts,
      get logger() {
        return logger();
      },
      locateService: <T>(name: string) => services(name)[0] as T | undefined,
      locateServices: <T>(name: string) => services(name) as T[],
      ...(reason !== undefined && { reason }),
    };
  }
}
