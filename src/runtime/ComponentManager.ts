import type { Logger } from 'pino';
import type { ComponentDescription } from '../component/ComponentDescription.js';
import type { ConfigurationValues } from '../config/ConfigurationEntry.js';
import type { StandardSchemaV1 } from '../config/StandardSchema.js';
import { validateConfiguration } from '../config/validateConfiguration.js';
import { deepEqual } from '../json/deepEqual.js';
import type { ReferenceDescription } from '../component/ReferenceDescription.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { ComponentContext, DeactivationContext } from './ComponentContext.js';
import type { ComponentHost } from './ComponentHost.js';
import type { ComponentState, DeactivationReason } from './ComponentState.js';
import type { ComponentBuilder } from './InstanceFactory.js';
import { findPath } from './findPath.js';
import { REST_MS, ReactivationGuard } from './ReactivationGuard.js';
import { ReferenceManager } from './ReferenceManager.js';
import {
  COMPONENT_ID,
  COMPONENT_NAME,
  compareRecords,
  type ServiceProperties,
  type ServiceProvider,
  type ServiceRecord,
  type ServiceUser,
} from './ServiceRecord.js';
import { UseCounter } from './UseCounter.js';
import { parseFilter } from './filter/parseFilter.js';
import { CANCELLED, type WaitStrength } from './WaitGraph.js';
import { withTimeout } from './withTimeout.js';

/** A service bound to a reference of an instance. */
export interface BoundService {
  readonly record: ServiceRecord;
  readonly service: unknown;
  /** The properties the instance last saw (bind or updated). */
  properties: ServiceProperties;
}

/** The live instance of a component, and what it is bound to. */
export interface ComponentInstance {
  readonly object: object;
  readonly bindings: Map<ReferenceManager, BoundService[]>;
  readonly activatedAt: Date;
  readonly activationMs: number;
  /** The configuration version the instance was activated or last modified with. */
  configVersion: number;
}

/** The configuration delivered to a component: validated, placeholders substituted. */
export interface DeliveredConfiguration {
  /** What the schema produced (defaults filled in, values transformed), without the `<reference>.target` keys. */
  readonly values: ConfigurationValues;
  /** The configuration as written (placeholders substituted), without the target keys: the properties. */
  readonly raw: ConfigurationValues;
  /** `<reference>.target` keys, by reference name. */
  readonly targets: Readonly<Record<string, string>>;
  /** From a configuration that exists (rather than defaults for a missing one). */
  readonly present: boolean;
}

/** A failure kept for `component(name)`. */
export interface FailureInfo {
  readonly code: string;
  readonly message: string;
  readonly stack?: string;
  readonly at: Date;
}

type Acquired = { ok: true; service: unknown } | { ok: false; reason: string };

/** Where a component wants to be, computed from its inputs; `step()` moves it there. */
type Goal = 'disabled' | 'unsatisfied-configuration' | 'unsatisfied-reference' | 'failed-activation' | 'satisfied' | 'active';

const MAX_ROUNDS = 1000;
/** Deactivations after which the component comes back as soon as it can: the ones a loop repeats. */
const RETURNING: ReadonlySet<DeactivationReason> = new Set(['reference-changed', 'reference-unsatisfied', 'configuration-changed', 'configuration-deleted']);
let nextComponentId = 1;

/**
 * Owns one component: its state machine, its references, its service registration and its instance.
 *
 * Every change (a service came or went, enable, disable, a user arrived) only requests a reconcile;
 * reconciles of one component run one at a time and each moves the component towards the goal its
 * inputs call for, so a storm of events ends in the right state. Waits on other components go through
 * the host's WaitGraph, so that they never close a circle.
 */
export class ComponentManager implements ServiceProvider, ServiceUser {
  readonly id = nextComponentId++;
  /** The component's child logger, made when first used: most components of a big graph never log. */
  private loggerValue: Logger | undefined;
  readonly references: readonly ReferenceManager[];
  private readonly builder: ComponentBuilder;
  private stateValue: ComponentState = 'disabled';
  private enabled: boolean;
  private opened = false;
  private disposed = false;
  private stopping = false;
  private restartRequested = false;
  private registration: ServiceRecord | undefined;
  private instance: ComponentInstance | undefined;
  /** Services chosen for the activation in progress (read by the instance builder). */
  private activation: Map<ReferenceManager, BoundService[]> | undefined;
  private readonly users = new UseCounter();
  private readonly held = new Map<ServiceRecord, number>();
  private readonly releaseWaiters = new Map<ServiceRecord, (() => void)[]>();
  /** Services that could not be had at the last attempt, by reference; not retried until something changes. */
  private readonly unavailable = new Map<ReferenceManager, Set<ServiceRecord>>();
  /** Components that bound late because this one was still activating; told when it is active. */
  private readonly lateConsumers = new Set<ComponentManager>();
  /** The providers whose `lateConsumers` this component is in. */
  private readonly lateProviders = new Set<ComponentManager>();
  /** Bumped by every change of input; a failure seen under an older epoch may be stale, so it is not recorded. */
  private inputEpoch = 0;
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
  /** Services being unbound on the spot (see unbindGone). */
  private unbinding: Set<ServiceRecord> | undefined;
  private guard: ReactivationGuard | undefined;
  /** The services a failed activation would have bound; a change to them is worth a retry. */
  private failedChoice: string | undefined;
  private blockedValue: string | undefined;
  private lastReason: DeactivationReason | undefined;
  private configuration: DeliveredConfiguration | undefined;
  private configVersion = 0;
  private registeredVersion = 0;
  private configDirty = false;
  private configProblemValue: string | undefined;
  private unsubscribeConfig: (() => void) | undefined;
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    readonly description: ComponentDescription,
    private readonly host: ComponentHost,
  ) {
    this.enabled = description.enabled;
    this.references = description.references.map(
      (d) =>
        new ReferenceManager(
          d,
          host.registry,
          () => {
            this.referenceChanged();
          },
          this,
        ),
    );
    this.builder = host.instances.add(description, (ref) => this.injectedValue(ref));
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

  get failure(): FailureInfo | undefined {
    return this.failureValue;
  }

  /** Why the last activation could not get a mandatory service, if it could not. */
  get blocked(): string | undefined {
    return this.blockedValue;
  }

  get currentInstance(): ComponentInstance | undefined {
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
    const config = this.configuration;
    const targets = Object.fromEntries(Object.entries(config?.targets ?? {}).map(([ref, target]) => [`${ref}.target`, target]));
    return { ...this.description.properties, ...config?.raw, ...targets, [COMPONENT_NAME]: this.name, [COMPONENT_ID]: this.id };
  }

  /** The configuration in force, if any. */
  get delivered(): DeliveredConfiguration | undefined {
    return this.configuration;
  }

  /** Why the latest configuration was not delivered (invalid, missing), if it was not. */
  get configProblem(): string | undefined {
    return this.configProblemValue;
  }

  // ---- commands from the runtime ----

  /** Starts tracking services and moving towards the goal (the container has started). */
  open(): Promise<void> {
    this.opened = true;
    // A new start is a new chance: forget failures and refusals from before.
    this.failedHold = false;
    this.loopHold = false;
    this.noteInputChanged();
    if (this.description.configurationPolicy !== 'ignore' && !this.unsubscribeConfig) {
      this.unsubscribeConfig = this.host.config.subscribe(this.description.configurationPid, () => {
        this.configDirty = true;
        void this.requestReconcile();
      });
      this.configDirty = true;
    }
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
      for (const provider of this.lateProviders) provider.lateConsumers.delete(this);
      this.lateProviders.clear();
    } else this.stopping = true;
    await this.requestReconcile();
    for (const ref of this.references) ref.close();
    this.unsubscribeConfig?.();
    this.unsubscribeConfig = undefined;
    this.opened = false;
    this.stopping = false;
    if (this.disposed) this.builder.dispose();
  }

  /** Runs a reconcile after the one in progress; calls made before it starts share it. */
  requestReconcile(): Promise<void> {
    if (this.queued) return this.queued;
    // A component that stayed quiet for a while rested: a new window for its reactivation guard. One
    // asked again at once (a loop on microtasks) did not.
    const quiet = this.quietSince;
    if (quiet && performance.now() - quiet.at >= REST_MS && quiet.forcedTurns === this.host.forcedTurnCount) this.guard?.rest();
    this.quietSince = undefined;
    const run = this.tail.then(() => {
      this.queued = undefined;
      return this.reconcile();
    });
    this.queued = run;
    this.tail = run;
    this.host.track(run);
    if (this.guard) {
      void run.then(() => {
        if (this.tail === run) this.quietSince = { at: performance.now(), forcedTurns: this.host.forcedTurnCount };
      });
    }
    return run;
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

  /** True when `getService(record)` would hand the instance over without waiting for anything. */
  servesAtOnce(record: ServiceRecord): boolean {
    return record === this.registration && record.isRegistered() && this.state === 'active' && this.instance !== undefined;
  }

  ungetService(record: ServiceRecord, user: ServiceUser): void {
    if (record !== this.registration || !this.users.remove(user)) return;
    if (this.users.size === 0 && !this.description.immediate) void this.requestReconcile();
  }

  // ---- ServiceUser: releasing services that go away ----

  whenReleased(record: ServiceRecord): Promise<void> {
    if (!this.held.has(record)) return Promise.resolve();
    const released = new Promise<void>((resolve) => {
      const waiters = this.releaseWaiters.get(record) ?? [];
      waiters.push(resolve);
      this.releaseWaiters.set(record, waiters);
    });
    if (this.releasesOnItsOwn(record)) void this.unbindGone(record);
    else void this.requestReconcile();
    return released;
  }

  /**
   * True when this component lets go of `record` without its reconcile (which may be waiting on the one
   * asking): it is waiting for its own consumers while it deactivates, and holds `record` only through
   * dynamic references, which it can unbind on the spot. A provider then waits for it safely.
   */
  releasesOnItsOwn(record: ServiceRecord): boolean {
    if (this.unbinding?.has(record)) return true;
    if (!this.awaitingConsumers || !this.instance) return false;
    let held = false;
    for (const [ref, list] of this.instance.bindings) {
      if (!list.some((b) => b.record === record)) continue;
      if (!ref.dynamic) return false;
      held = true;
    }
    return held;
  }

  /** Unbinds a service that goes away from the dynamic references (only) of an instance that is deactivating. */
  private async unbindGone(record: ServiceRecord): Promise<void> {
    const instance = this.instance as ComponentInstance;
    for (const [ref, list] of instance.bindings) {
      // Static references keep what they hold until deactivate has run.
      if (!ref.dynamic) continue;
      const gone = list.filter((b) => b.record === record);
      if (gone.length === 0) continue;
      const kept = list.filter((b) => b.record !== record);
      instance.bindings.set(ref, kept);
      this.setField(instance.object, ref, kept);
      const unbinding = (this.unbinding ??= new Set());
      unbinding.add(record);
      try {
        for (const bound of gone) {
          await this.callReferenceMethod(instance.object, ref, 'unbind', bound);
          this.release(bound);
        }
      } finally {
        unbinding.delete(record);
      }
    }
  }

  /** A provider this component skipped because it was still activating is now active. */
  private providerReady(provider: ComponentManager): void {
    this.lateProviders.delete(provider);
    this.noteInputChanged();
    void this.requestReconcile();
  }

  private referenceChanged(): void {
    this.noteInputChanged();
    if (this.failedHold && !this.loopHold && this.choice() !== this.failedChoice) this.failedHold = false;
    void this.requestReconcile();
  }

  private noteInputChanged(): void {
    this.inputEpoch++;
    this.unavailable.clear();
    this.blockedValue = undefined;
  }

  /**
   * Per reference: a wait one reference gave way on (an optional one, say) says nothing about another
   * reference that needs the same service.
   */
  private isUnavailable(ref: ReferenceManager, record: ServiceRecord): boolean {
    return this.unavailable.get(ref)?.has(record) ?? false;
  }

  private markUnavailable(ref: ReferenceManager, record: ServiceRecord): void {
    const set = this.unavailable.get(ref);
    if (set) set.add(record);
    else this.unavailable.set(ref, new Set([record]));
  }

  /** The services an activation would bind now, as a key to compare. */
  private choice(): string {
    return this.references.map((r) => (r.multiple ? r.candidates() : r.candidates().slice(0, 1)).map((c) => c.id).join(',')).join('|');
  }

  // ---- the reconcile loop ----

  private goal(): Goal {
    if (!this.opened || this.disposed || this.stopping || !this.enabled) return 'disabled';
    const policy = this.description.configurationPolicy;
    if (policy !== 'ignore' && (!this.configuration || (policy === 'require' && !this.configuration.present))) return 'unsatisfied-configuration';
    // A loop is held whatever its references do next (they are what the loop keeps changing).
    if (this.loopHold) return 'failed-activation';
    if (!this.references.every((r) => r.isSatisfied()) || this.blockedValue !== undefined) return 'unsatisfied-reference';
    if (this.failedHold) return 'failed-activation';
    if (this.description.immediate || this.users.size > 0) return 'active';
    return 'satisfied';
  }

  private async reconcile(): Promise<void> {
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const turn = this.host.pace();
        if (turn) await turn;
        if (!(await this.step())) return;
      }
      this.logger.error(`component ${this.name} did not settle after ${MAX_ROUNDS} rounds; its providers keep changing`);
    } catch (error) {
      // step() handles user errors itself; this is a bug in Lattice, logged rather than lost.
      this.logger.error({ err: error }, `internal error while reconciling component ${this.name}`);
    }
  }

  /** One move towards the goal; true when it changed something and the goal must be looked at again. */
  private async step(): Promise<boolean> {
    if (this.configDirty) await this.readConfiguration();
    const goal = this.goal();
    if (goal === 'active' || goal === 'satisfied') {
      if (!this.registration) this.registerServices();
      if (goal === 'satisfied') {
        if (this.instance) {
          await this.deactivateInstance('unused', false);
          return true;
        }
        this.refreshServiceProperties();
        this.setState('satisfied');
        return false;
      }
      if (!this.instance) {
        await this.activate();
        return true;
      }
      if (this.restartRequested) {
        this.restartRequested = false;
        await this.deactivateInstance('restart', true);
        return true;
      }
      if (await this.updateBindings(this.instance)) return true;
      if (this.instance.configVersion !== this.configVersion) {
        if (this.description.modified === undefined) await this.deactivateInstance('configuration-changed', true);
        else await this.callModified(this.instance);
        return true;
      }
      this.refreshServiceProperties();
      this.setState('active');
      return false;
    }
    if (this.instance) {
      await this.deactivateInstance(this.reasonFor(goal), true);
      return true;
    }
    if (this.registration) {
      await this.unregisterServices();
      return true;
    }
    this.restartRequested = false;
    this.setState(goal);
    return false;
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
    if (state === 'active' && this.lateConsumers.size > 0) {
      const consumers = [...this.lateConsumers];
      this.lateConsumers.clear();
      for (const consumer of consumers) consumer.providerReady(this);
    }
  }

  // ---- registration ----

  private registerServices(): void {
    if (this.description.services.length === 0) return;
    this.registration = this.host.registry.register(this.description.services, this, this.serviceProperties());
    this.registeredVersion = this.configVersion;
  }

  /** Service properties follow the configuration (consumers' filters see the change). */
  private refreshServiceProperties(): void {
    if (!this.registration || this.registeredVersion === this.configVersion) return;
    this.registeredVersion = this.configVersion;
    this.host.registry.setProperties(this.registration, this.serviceProperties());
  }

  // ---- configuration ----

  /**
   * Reads the component's configuration: validates it with its schema and delivers it if it changed.
   * An invalid version is not delivered; the last good one stays (or, with none, the component stays
   * unsatisfied-configuration), and the problem is logged and kept for diagnostics.
   */
  private async readConfiguration(): Promise<void> {
    this.configDirty = false;
    const { configurationPid: pid, configurationPolicy: policy, configSchema } = this.description;
    if (policy === 'ignore') return;
    const entry = this.host.config.get(pid);
    let next = this.configuration;
    let problem = entry?.problem;
    if (entry?.values) {
      const where = entry.file ?? `configuration "${pid}"`;
      const { targets, values, targetProblems } = this.splitTargets(entry.values);
      const result = await validateConfiguration(configSchema, values);
      const problems = [...targetProblems, ...(result.ok ? [] : result.problems)];
      if (problems.length > 0) problem = `${where}: ${problems.join('; ')}`;
      else if (result.ok) next = { values: result.values, raw: values, targets, present: true };
    } else if (problem === undefined) {
      // No configuration: a required one is missing; an optional one runs on the schema's defaults.
      next = undefined;
      if (policy === 'optional') {
        const defaults = await validateConfiguration(configSchema, {});
        if (defaults.ok) next = { values: defaults.values, raw: {}, targets: {}, present: false };
        else problem = `configuration "${pid}" is missing and the schema needs values: ${defaults.problems.join('; ')}`;
      }
    }
    if (problem !== undefined && problem !== this.configProblemValue && entry?.problem === undefined) {
      this.logger.error({ configPid: pid, file: entry?.file }, `configuration of ${this.name} not applied, ${this.configuration?.present ? 'keeping the last good one' : 'and there is no good one before it'}: ${problem} (fix it: the component picks the change up at once)`);
    }
    this.configProblemValue = problem;
    if (deepEqual(next, this.configuration)) return;
    this.configuration = next;
    this.configVersion++;
    for (const ref of this.references) ref.setTarget(next?.targets[ref.name]);
  }

  /**
   * What this component would refuse in `values` for its configuration PID (`$.path: reason` each),
   * without delivering anything: lets a writer refuse values before they reach the file.
   */
  async configurationProblems(values: ConfigurationValues): Promise<string[]> {
    if (this.description.configurationPolicy === 'ignore') return [];
    const split = this.splitTargets(values);
    const result = await validateConfiguration(this.description.configSchema, split.values);
    if (!result.ok) return [...split.targetProblems, ...result.problems];
    return [...split.targetProblems, ...(await this.instanceProblems(result.values))];
  }

  /** What the active instance's @CheckConfiguration says of `config` (the schema's output). */
  private async instanceProblems(config: ConfigurationValues): Promise<string[]> {
    const instance = this.state === 'active' ? this.currentInstance : undefined;
    const method = this.description.checkConfiguration;
    const call = instance && this.callWithConfig(instance, method, config);
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

  /** Separates `<reference>.target` keys (checked as filters) from the configuration proper. */
  private splitTargets(all: ConfigurationValues): { values: Record<string, unknown>; targets: Record<string, string>; targetProblems: string[] } {
    const values: Record<string, unknown> = {};
    const targets: Record<string, string> = {};
    const targetProblems: string[] = [];
    for (const [key, value] of Object.entries(all)) {
      const ref = key.endsWith('.target') ? this.references.find((r) => `${r.name}.target` === key) : undefined;
      if (!ref) {
        values[key] = value;
        continue;
      }
      try {
        if (typeof value !== 'string') throw new Error('a target must be a filter string such as "(role=primary)"');
        parseFilter(value);
        targets[ref.name] = value;
      } catch (error) {
        targetProblems.push(`$["${key}"]: ${(error as Error).message}`);
      }
    }
    return { values, targets, targetProblems };
  }

  /** Delivers a new configuration to the live instance; if @Modified throws, the instance stays active. */
  private async callModified(instance: ComponentInstance): Promise<void> {
    instance.configVersion = this.configVersion;
    try {
      await this.callWithConfig(instance, this.description.modified);
    } catch (error) {
      this.logger.error({ err: error }, `modified() of ${this.name} threw: ${(error as Error).message}; it stays active`);
    }
  }

  /**
   * Calls a method of the live instance that takes a configuration (@Modified, @CheckConfiguration):
   * `config` (default: the one in force) and the context, within the activation timeout. Undefined when
   * the class has no such method. @throws what the method throws, or the timeout
   */
  private callWithConfig(instance: ComponentInstance, method: string | undefined, config?: ConfigurationValues): Promise<unknown> | undefined {
    const fn = method === undefined ? undefined : (instance.object as Record<string, unknown>)[method];
    if (typeof fn !== 'function') return undefined;
    const context = this.context(instance.bindings);
    const timeoutMs = this.description.activationTimeoutMs ?? this.host.activationTimeoutMs;
    return this.host.runComponentCode(() =>
      withTimeout(
        Promise.resolve().then(() => (fn as (config: ConfigurationValues, c: ComponentContext) => unknown).call(instance.object, config ?? context.config, context)),
        timeoutMs,
        () => new Error(`did not finish within ${timeoutMs} ms`),
      ),
    );
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
        return user instanceof ComponentManager && !user.releasesOnItsOwn(record) ? this.host.waits.wait(this, user, 'breakable', released, 'release') : released;
      }),
    );
    record.status = 'unregistered';
  }

  /** Service properties: the component's, without private ones (names starting with "."). */
  private serviceProperties(): ServiceProperties {
    return Object.fromEntries(Object.entries(this.properties).filter(([key]) => !key.startsWith('.')));
  }

  // ---- activation ----

  private async activate(): Promise<void> {
    this.setState('activating');
    const started = performance.now();
    const epoch = this.inputEpoch;
    const bindings = new Map<ReferenceManager, BoundService[]>();
    for (const ref of this.references) {
      const { bound, reason } = await this.acquireFor(ref, ref.candidates(), epoch);
      bindings.set(ref, bound);
      if (ref.mandatory && bound.length === 0) {
        this.releaseAll(bindings);
        // Inputs that changed meanwhile deserve another try (the loop comes back); otherwise wait for a change.
        if (this.inputEpoch === epoch) {
          this.blockedValue = `reference "${ref.name}": ${reason ?? 'no service could be had'}`;
          this.logger.warn(`cannot activate ${this.name}: ${this.blockedValue}`);
        }
        // Attempts that keep failing as the components around keep changing are a loop too.
        this.noteReactivation(`activation-blocked (${ref.name})`);
        return;
      }
    }
    this.activation = bindings;
    let created: object | undefined;
    const work = (async () => {
      const object = await this.builder.create();
      created = object;
      this.injectFields(object, bindings);
      for (const ref of this.references) {
        for (const bound of bindings.get(ref) ?? []) await this.callReferenceMethod(object, ref, 'bind', bound);
      }
      await this.callLifecycle(object, 'activate', this.context(bindings));
      return object;
    })();
    const timeoutMs = this.description.activationTimeoutMs ?? this.host.activationTimeoutMs;
    let object: object;
    try {
      object = await this.host.runComponentCode(() => withTimeout(work, timeoutMs, () => this.timeoutError(timeoutMs)));
    } catch (error) {
      this.activation = undefined;
      if (LatticeError.is(error, ErrorCode.ACTIVATION_TIMEOUT)) this.cleanUpLateActivation(work, bindings);
      else if (created) await this.unbindAll(created, bindings);
      this.releaseAll(bindings);
      this.recordFailure(error);
      this.noteReactivation('activation-failed');
      return;
    }
    this.activation = undefined;
    this.failureValue = undefined;
    this.instance = { object, bindings, activatedAt: new Date(), activationMs: performance.now() - started, configVersion: this.configVersion };
  }

  /** Gets services for a reference from `candidates`, best first: one for a single reference, all for a multiple one. */
  private async acquireFor(ref: ReferenceManager, candidates: ServiceRecord[], epoch: number, alreadyBound = 0): Promise<{ bound: BoundService[]; reason?: string }> {
    const bound: BoundService[] = [];
    let reason: string | undefined;
    for (const [i, record] of candidates.entries()) {
      if (!ref.multiple && bound.length > 0) break;
      if (this.isUnavailable(ref, record)) continue;
      // How firmly to wait (see WaitStrength): an optional reference, or one that holds a service already
      // (a multiple one that got one, a dynamic one rebinding), gives way; a single mandatory reference
      // with another candidate to fall back on gives way before the waits of those that have none.
      const strength: WaitStrength =
        !ref.mandatory || bound.length + alreadyBound > 0
          ? 'breakable'
          : !ref.multiple && candidates.slice(i + 1).some((r) => r.isRegistered() && !this.isUnavailable(ref, r))
            ? 'fallback'
            : 'mandatory';
      const got = await this.acquire(record, strength);
      if (got.ok) bound.push({ record, service: got.service, properties: record.properties });
      else {
        reason = got.reason;
        // A record that went away is forgotten anyway; a failure under changed inputs may be stale.
        if (record.isRegistered() && this.inputEpoch === epoch) this.markUnavailable(ref, record);
      }
    }
    return reason === undefined ? { bound } : { bound, reason };
  }

  private async acquire(record: ServiceRecord, strength: WaitStrength): Promise<Acquired> {
    if (!record.isRegistered()) return { ok: false, reason: `service ${record.id} is going away` };
    const provider = record.provider;
    // An active provider hands its service over at once: there is no wait, so none to refuse.
    const waitsFor = provider instanceof ComponentManager && !provider.servesAtOnce(record) ? provider : undefined;
    const pending = provider.getService(record, this);
    let service: unknown;
    let refused: Error | undefined;
    try {
      service = waitsFor ? await this.host.waits.wait(this, waitsFor, strength, pending) : await pending;
    } catch (error) {
      refused = error instanceof Error ? error : new Error(String(error));
    }
    if (waitsFor && (service === CANCELLED || LatticeError.is(refused, ErrorCode.REFERENCE_CYCLE))) {
      // The wait would have closed a cycle: bind it once the provider is active.
      this.ungetWhenSettled(record, pending);
      if (waitsFor.servesAtOnce(record)) this.providerReady(waitsFor);
      else {
        waitsFor.lateConsumers.add(this);
        this.lateProviders.add(waitsFor);
      }
      return { ok: false, reason: refused?.message ?? `${waitsFor.name} is still activating and waits for ${this.name}; bound late` };
    }
    if (refused) {
      this.ungetWhenSettled(record, pending);
      return { ok: false, reason: refused.message };
    }
    if (service === undefined) {
      const who = provider.componentName === undefined ? `service ${record.id}` : `component ${provider.componentName}`;
      return { ok: false, reason: `${who} could not provide it (it is going away or failed to activate)` };
    }
    if (!record.isRegistered()) {
      provider.ungetService(record, this);
      return { ok: false, reason: `service ${record.id} went away while activating` };
    }
    this.held.set(record, (this.held.get(record) ?? 0) + 1);
    return { ok: true, service };
  }

  /** A wait given up on may still deliver the service: hand it back then. */
  private ungetWhenSettled(record: ServiceRecord, pending: Promise<unknown>): void {
    void pending.then((service) => {
      if (service !== undefined) record.provider.ungetService(record, this);
    });
  }

  private release(bound: BoundService): void {
    const { record } = bound;
    record.provider.ungetService(record, this);
    const count = (this.held.get(record) ?? 1) - 1;
    if (count > 0) {
      this.held.set(record, count);
      return;
    }
    this.held.delete(record);
    const waiters = this.releaseWaiters.get(record);
    this.releaseWaiters.delete(record);
    for (const resolve of waiters ?? []) resolve();
  }

  private releaseAll(bindings: Map<ReferenceManager, BoundService[]>): void {
    for (const list of bindings.values()) for (const bound of list) this.release(bound);
    bindings.clear();
  }

  private injectedValue(ref: ReferenceDescription): unknown {
    const manager = this.references.find((r) => r.description === ref);
    const bindings = this.activation ?? this.instance?.bindings;
    const bound = (manager && bindings?.get(manager)) ?? [];
    return manager?.multiple ? bound.map((b) => b.service) : bound[0]?.service;
  }

  private injectFields(object: object, bindings: Map<ReferenceManager, BoundService[]>): void {
    for (const ref of this.references) this.setField(object, ref, bindings.get(ref) ?? []);
  }

  private setField(object: object, ref: ReferenceManager, bound: readonly BoundService[]): void {
    const field = ref.description.field;
    if (field === undefined) return;
    (object as Record<string, unknown>)[field] = ref.multiple ? bound.map((b) => b.service) : bound[0]?.service;
  }

  private timeoutError(ms: number): LatticeError {
    return new LatticeError(
      ErrorCode.ACTIVATION_TIMEOUT,
      `Component ${this.name} did not finish activating within ${ms} ms (constructor, bind methods and activate). ` +
        'Find what activate() waits for, or raise activationTimeoutMs in @Component or the container options.',
      { component: this.name, timeoutMs: ms },
    );
  }

  /** An activate that timed out may still finish: then deactivate that orphan so it can let go of what it opened. */
  private cleanUpLateActivation(work: Promise<object>, bindings: Map<ReferenceManager, BoundService[]>): void {
    const late = new Map(bindings);
    work.then(
      async (orphan) => {
        this.logger.warn(`activate() of ${this.name} finished after its timeout; deactivating that late instance`);
        await this.callLifecycle(orphan, 'deactivate', this.context(late, 'activation-timeout')).catch((error: unknown) => {
          this.logger.error({ err: error }, `deactivate() of the late instance of ${this.name} threw`);
        });
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

  // ---- an active instance follows its references ----

  /** Applies reference changes to the live instance; true when it did something. */
  private async updateBindings(instance: ComponentInstance): Promise<boolean> {
    for (const ref of this.references) {
      if (!ref.dynamic && this.staticNeedsNewInstance(ref, instance.bindings.get(ref) ?? [])) {
        await this.deactivateInstance('reference-changed', true);
        return true;
      }
    }
    let changed = false;
    for (const ref of this.references) {
      if (ref.dynamic && (await this.rebindDynamic(instance, ref))) changed = true;
      if (this.instance !== instance) return true;
      await this.deliverUpdates(instance, ref);
    }
    return changed;
  }

  private staticNeedsNewInstance(ref: ReferenceManager, bound: readonly BoundService[]): boolean {
    if (bound.some((b) => !ref.isTracked(b.record))) return true;
    if (!ref.greedy) return false;
    // A new instance takes our service away first: never do that to bind the service of a component
    // that uses ours or could (it would go too, or change, and the cycle would never settle). What is
    // bound stays bound whoever provides it; only a strictly better service is worth a new instance.
    const current = bound[0]?.record;
    return ref
      .candidates()
      .some(
        (r) =>
          !this.isUnavailable(ref, r) &&
          (ref.multiple ? !bound.some((b) => b.record === r) : current === undefined || compareRecords(r, current) < 0) &&
          !this.isUsedBy(r),
      );
  }

  /** True when the component providing `record` uses this component's service or could, directly or not. */
  private isUsedBy(record: ServiceRecord): boolean {
    const provider = record.provider;
    if (!(provider instanceof ComponentManager) || !this.registration) return false;
    return provider === this || findPath(provider, this as ComponentManager, (m) => m.dependencies()) !== undefined;
  }

  /**
   * The components whose services this one holds, or could bind (the providers of its references'
   * candidates): what it uses, or would, if it (re)activated now.
   */
  dependencies(): Set<ComponentManager> {
    const found = new Set<ComponentManager>();
    for (const record of this.held.keys()) if (record.provider instanceof ComponentManager) found.add(record.provider);
    for (const ref of this.references) {
      for (const record of ref.candidates()) if (record.provider instanceof ComponentManager) found.add(record.provider);
    }
    return found;
  }

  /** Dynamic reference: binds the new service before unbinding the old, on the same instance. */
  private async rebindDynamic(instance: ComponentInstance, ref: ReferenceManager): Promise<boolean> {
    const bound = instance.bindings.get(ref) ?? [];
    const kept = bound.filter((b) => ref.isTracked(b.record));
    const lost = bound.filter((b) => !ref.isTracked(b.record));
    const candidates = ref.candidates().filter((r) => !kept.some((b) => b.record === r));
    let wanted: ServiceRecord[];
    if (ref.multiple) wanted = candidates;
    else {
      const current = kept[0];
      if (!current) wanted = candidates;
      else if (ref.greedy) wanted = candidates.filter((r) => compareRecords(r, current.record) < 0);
      else wanted = [];
    }
    wanted = wanted.filter((r) => !this.isUnavailable(ref, r));
    if (wanted.length === 0 && lost.length === 0) return false;

    const epoch = this.inputEpoch;
    const { bound: added, reason } = await this.acquireFor(ref, wanted, epoch, kept.length);
    const replaced = !ref.multiple && added.length > 0 ? kept : [];
    const next = [...kept.filter((b) => !replaced.includes(b)), ...added].sort((a, b) => compareRecords(a.record, b.record));
    if (added.length === 0 && lost.length === 0) return false;
    if (ref.mandatory && next.length === 0) {
      // No service could be had: a mandatory reference must not stay empty under a live instance.
      if (this.inputEpoch !== epoch) return true;
      this.blockedValue = `reference "${ref.name}": ${reason ?? 'no service could be had'}`;
      await this.deactivateInstance('reference-unsatisfied', true);
      return true;
    }
    instance.bindings.set(ref, next);
    for (const b of added) await this.callReferenceMethod(instance.object, ref, 'bind', b);
    this.setField(instance.object, ref, next);
    for (const b of [...replaced, ...lost]) {
      await this.callReferenceMethod(instance.object, ref, 'unbind', b);
      this.release(b);
    }
    return true;
  }

  /**
   * Calls `updated` for bound services whose properties changed and still match. A dynamic multiple
   * reference is first put back in order (a ranking may have changed): best first, always.
   */
  private async deliverUpdates(instance: ComponentInstance, ref: ReferenceManager): Promise<void> {
    const changed = (instance.bindings.get(ref) ?? []).filter((b) => b.properties !== b.record.properties && ref.isTracked(b.record));
    if (changed.length === 0) return;
    for (const bound of changed) bound.properties = bound.record.properties;
    if (ref.dynamic && ref.multiple) {
      const list = instance.bindings.get(ref) ?? [];
      const sorted = [...list].sort((a, b) => compareRecords(a.record, b.record));
      if (sorted.some((b, i) => b !== list[i])) {
        instance.bindings.set(ref, sorted);
        this.setField(instance.object, ref, sorted);
      }
    }
    for (const bound of changed) await this.callReferenceMethod(instance.object, ref, 'updated', bound);
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
        if (this.users.size > 0) {
          const leaving = [...instance.bindings].flatMap(([ref, list]) => (ref.dynamic ? list.filter((b) => !b.record.isRegistered()) : []));
          await Promise.all([...new Set(leaving.map((b) => b.record))].map((record) => this.unbindGone(record)));
        }
        await this.unregisterServices();
      } finally {
        this.awaitingConsumers = false;
      }
    }
    const timeoutMs = this.host.deactivationTimeoutMs;
    try {
      await this.host.runComponentCode(() =>
        withTimeout(
          this.callLifecycle(instance.object, 'deactivate', this.context(instance.bindings, reason)),
          timeoutMs,
          () => new Error(`deactivate() did not finish within ${timeoutMs} ms; going on without it`),
        ),
      );
    } catch (error) {
      this.logger.error({ err: error }, `deactivate() of ${this.name} failed: ${(error as Error).message}`);
    }
    await this.unbindAll(instance.object, instance.bindings);
    this.releaseAll(instance.bindings);
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
      reason === 'reference-changed' && bindings ? this.references.filter((r) => !r.dynamic && this.staticNeedsNewInstance(r, bindings.get(r) ?? [])) : this.references;
    for (const ref of changing) {
      const records = [...ref.candidates(), ...(bindings?.get(ref) ?? []).map((b) => b.record)];
      for (const record of records) {
        const provider = record.provider;
        if (!(provider instanceof ComponentManager)) continue;
        const path = findPath(provider, this as ComponentManager, (m) => m.dependencies());
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

  /** Calls unbind methods in reverse order and empties the fields, so a dead instance holds no service. */
  private async unbindAll(object: object, bindings: Map<ReferenceManager, BoundService[]>): Promise<void> {
    for (const ref of [...this.references].reverse()) {
      for (const bound of [...(bindings.get(ref) ?? [])].reverse()) await this.callReferenceMethod(object, ref, 'unbind', bound);
      this.setField(object, ref, []);
    }
  }

  // ---- calling the component's code ----

  private async callLifecycle(object: object, kind: 'activate' | 'deactivate', context: ComponentContext | DeactivationContext): Promise<void> {
    const method = this.description[kind];
    if (method === undefined) return;
    const fn = (object as Record<string, unknown>)[method];
    if (typeof fn === 'function') await (fn as (c: typeof context) => unknown).call(object, context);
  }

  /** Calls a bind/unbind/updated method; what it throws is logged and does not stop the others. */
  private async callReferenceMethod(object: object, ref: ReferenceManager, kind: 'bind' | 'unbind' | 'updated', bound: BoundService): Promise<void> {
    const method = ref.description[kind];
    if (method === undefined) return;
    const fn = (object as Record<string, unknown>)[method];
    if (typeof fn !== 'function') return;
    const timeoutMs = this.host.deactivationTimeoutMs;
    try {
      await this.host.runComponentCode(() =>
        withTimeout(
          Promise.resolve().then(() => (fn as (s: unknown, p: ServiceProperties) => unknown).call(object, bound.service, bound.properties)),
          timeoutMs,
          () => new Error(`did not finish within ${timeoutMs} ms; going on without it`),
        ),
      );
    } catch (error) {
      this.logger.error({ err: error, reference: ref.name, serviceId: bound.record.id }, `${kind} method ${method}() of ${this.name} threw: ${(error as Error).message}`);
    }
  }

  /** What lifecycle methods get; with a reason, the deactivation context (its logger made only if used). */
  private context(bindings: Map<ReferenceManager, BoundService[]>): ComponentContext;
  private context(bindings: Map<ReferenceManager, BoundService[]>, reason: DeactivationReason): DeactivationContext;
  private context(bindings: Map<ReferenceManager, BoundService[]>, reason?: DeactivationReason): ComponentContext | DeactivationContext {
    const services = (name: string): unknown[] => {
      const ref = this.references.find((r) => r.name === name);
      if (!ref) {
        throw new LatticeError(ErrorCode.REFERENCE_INVALID, `Component ${this.name} has no reference named "${name}".`, { component: this.name });
      }
      return (bindings.get(ref) ?? []).map((b) => b.service);
    };
    const logger = (): Logger => this.logger;
    return {
      name: this.name,
      properties: this.properties,
      config: this.configuration?.values ?? {},
      configuration: { pid: this.description.configurationPid, present: this.configuration?.present ?? false },
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
