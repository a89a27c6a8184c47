import type { Container as InversifyContainer } from 'inversify';
import type { Logger } from 'pino';
import type { ComponentClass, ComponentDescription } from '../component/ComponentDescription.js';
import type { ConfigurationSource } from '../config/ConfigurationEntry.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { ContainerFacts } from './ComponentContext.js';
import type { ComponentHost } from './ComponentHost.js';
import { ComponentManager, type ManagerOptions } from './ComponentManager.js';
import type { ComponentNode } from './ComponentNode.js';
import type { ComponentState, DeactivationReason } from './ComponentState.js';
import { explainComponent, type ComponentDirectory } from './explainComponent.js';
import { ComponentFactoryTemplate } from './factory/ComponentFactoryTemplate.js';
import { ConfigurationFactory } from './factory/ConfigurationFactory.js';
import type { FactoryHost } from './factory/FactoryHost.js';
import { InstanceFactory } from './InstanceFactory.js';
import type { MaybePromise } from './MaybePromise.js';
import { ServiceRegistry } from './ServiceRegistry.js';
import { WaitGraph } from './WaitGraph.js';
import { Listeners } from '../collections/Listeners.js';

export interface RuntimeOptions {
  readonly logger: Logger;
  readonly facts?: ContainerFacts;
  readonly config: ConfigurationSource;
  readonly activationTimeoutMs: number;
  readonly deactivationTimeoutMs: number;
  readonly injectorParent?: InversifyContainer;
  /** See ComponentHost.reactivationLimit (default 100). */
  readonly reactivationLimit?: number;
}

const DEFAULT_REACTIVATION_LIMIT = 100;
/**
 * Reconcile steps run back to back (on microtasks) before the runtime lets the event loop turn. A count,
 * not a time: when a reconcile yields must not depend on how long component code took.
 */
const STEPS_PER_TURN = 256;

/** A component's state changed. */
export interface ComponentStateChange {
  readonly name: string;
  readonly state: ComponentState;
  readonly previous: ComponentState;
  readonly reason?: DeactivationReason;
}

/** The component managers by name, and what they share: registry, wait graph, settings. */
export class ComponentRuntime implements ComponentHost, ComponentDirectory, FactoryHost {
  readonly registry = new ServiceRegistry();
  readonly waits = new WaitGraph<ComponentNode>((m) => m.name);
  readonly logger: Logger;
  readonly config: ConfigurationSource;
  readonly facts: ContainerFacts;
  readonly instances: InstanceFactory;
  readonly activationTimeoutMs: number;
  readonly deactivationTimeoutMs: number;
  readonly reactivationLimit: number;
  private settles = 0;
  private reconciles = 0;
  private readonly byName = new Map<string, ComponentManager>();
  /** Components being removed: each stays the one of its name until it is gone, or one is registered in its place. */
  private readonly leaving = new Map<string, { readonly manager: ComponentManager; done: Promise<void> }>();
  private readonly listeners = new Listeners<[ComponentStateChange]>((error) => {
    this.logger.error({ err: error }, 'a listener of component state changes threw');
  });
  private startedValue = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private stepsThisTurn = 0;
  private forcedTurns = 0;
  private componentCode = 0;
  private outsideChanges = 0;
  /** Reconciles waiting for a turn of the event loop, in the order they came (see pace). */
  private readonly parked: (() => void)[] = [];
  private turnScheduled = false;
  /** The container is stopping: nobody waits for the runtime to settle (it may not, if components loop). */
  private interrupted = false;
  /** Set by the container to point at features that could provide a missing service. */
  providerHint?: (service: string) => string | undefined;
  /** Set by the container: the module a component class was imported from, for messages. */
  moduleOf?: (implementation: ComponentClass) => string | undefined;

  constructor(options: RuntimeOptions) {
    this.logger = options.logger;
    this.config = options.config;
    this.facts = options.facts ?? { nodeId: undefined, home: undefined };
    this.activationTimeoutMs = options.activationTimeoutMs;
    this.deactivationTimeoutMs = options.deactivationTimeoutMs;
    this.reactivationLimit = options.reactivationLimit ?? DEFAULT_REACTIVATION_LIMIT;
    this.instances = new InstanceFactory(options.injectorParent);
  }

  get started(): boolean {
    return this.startedValue;
  }

  /** Makes and adds a component at once (a factory's instance). @throws LatticeError COMPONENT_NAME_DUPLICATE, COMPONENT_INVALID */
  addComponent(description: ComponentDescription, options: ManagerOptions): ComponentManager {
    this.checkNames([description]);
    const manager = this.make(description, options);
    this.add(manager);
    return manager;
  }

  private make(description: ComponentDescription, options?: ManagerOptions): ComponentManager {
    if (options) return new ComponentManager(description, this, options);
    if (description.factoryPid !== undefined) return new ConfigurationFactory(description, this).template;
    if (description.factory !== undefined) return new ComponentFactoryTemplate(description, this).template;
    return new ComponentManager(description, this);
  }

  explain(manager: ComponentManager): string[] {
    return explainComponent(manager, this);
  }

  /**
   * Makes and adds components, all or none.
   * @throws LatticeError COMPONENT_NAME_DUPLICATE (see `checkNames`), COMPONENT_INVALID; nothing changes then.
   */
  registerAll(descriptions: readonly ComponentDescription[]): ComponentManager[] {
    this.checkNames(descriptions);
    const managers = descriptions.map((d) => this.make(d));
    for (const manager of managers) this.add(manager);
    return managers;
  }

  /**
   * The one check of component names: none twice among `descriptions`, none that a component has and
   * keeps (one being removed, or named in `free`, does not count). The message is the first clash's;
   * `details.twice` and `details.taken` list every name given twice and every name taken.
   * @throws LatticeError COMPONENT_NAME_DUPLICATE
   */
  checkNames(descriptions: readonly ComponentDescription[], free: readonly string[] = []): void {
    const seen = new Map<string, ComponentDescription>();
    const twice: string[] = [];
    const taken: string[] = [];
    let message: string | undefined;
    for (const description of descriptions) {
      const { name, implementation } = description;
      const before = seen.get(name);
      seen.set(name, description);
      const existing = before === undefined && !free.includes(name) && this.nameTaken(name) ? this.byName.get(name) : undefined;
      if (before === undefined && existing === undefined) continue;
      (before ? twice : taken).push(name);
      const other = before ?? (existing as ComponentManager).description;
      message ??= `Cannot register ${implementation.name} as component "${name}": ${other.implementation.name} already has that name. Give one of them another name with @Component({ name }).`;
    }
    if (message === undefined) return;
    throw new LatticeError(ErrorCode.COMPONENT_NAME_DUPLICATE, message, {
      component: twice[0] ?? taken[0],
      ...(twice.length > 0 && { twice }),
      ...(taken.length > 0 && { taken }),
    });
  }

  /**
   * Adds a manager; it starts at once if the runtime has started. One whose name is still being removed
   * is the component of that name from now on (for lookups, enable, diagnostics), and starts once the old
   * one is gone: never two instances of one name.
   */
  private add(manager: ComponentManager): void {
    this.byName.set(manager.name, manager);
    if (this.startedValue && !this.leaving.has(manager.name)) void manager.open();
  }

  /**
   * Deactivates components and forgets them. Several go together: each provider waits for its consumers
   * to let go, so they go consumers first. Removing a name whose old component is still being removed
   * withdraws the one registered under it meanwhile (the last call wins).
   * @throws LatticeError COMPONENT_NOT_FOUND, before removing any
   */
  async remove(...names: string[]): Promise<void> {
    const managers = [...new Set(names)].map((name) => this.get(name));
    await Promise.all(managers.map((manager) => this.removeOne(manager)));
  }

  private async removeOne(current: ComponentManager): Promise<void> {
    const name = current.name;
    const leaving = this.leaving.get(name);
    if (leaving) {
      if (current === leaving.manager) return leaving.done;
      this.byName.set(name, leaving.manager);
      await Promise.all([current.shutdown('disposed'), leaving.done]);
      return;
    }
    const entry = { manager: current, done: Promise.resolve() };
    this.leaving.set(name, entry);
    entry.done = (async () => {
      try {
        await current.shutdown('disposed');
      } finally {
        this.leaving.delete(name);
        if (current.factoryRole?.role === 'instance') current.factoryRole.factory.forget(current);
        const now = this.byName.get(name);
        if (now === current) this.byName.delete(name);
        else if (now && this.startedValue) void now.open();
      }
    })();
    return entry.done;
  }

  /** Whether registering `name` now would clash: a component has it, and is not on its way out. */
  private nameTaken(name: string): boolean {
    const current = this.byName.get(name);
    return current !== undefined && current !== this.leaving.get(name)?.manager;
  }

  /** @throws LatticeError COMPONENT_NOT_FOUND */
  get(name: string): ComponentManager {
    const manager = this.byName.get(name);
    if (!manager) {
      throw new LatticeError(ErrorCode.COMPONENT_NOT_FOUND, `No component named "${name}". Known components: ${[...this.byName.keys()].join(', ') || 'none'}.`, {
        component: name,
      });
    }
    return manager;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  managers(): IterableIterator<ComponentManager> {
    return this.byName.values();
  }

  async start(): Promise<void> {
    this.startedValue = true;
    this.interrupted = false;
    // One waiting for its name's old component to go starts when it has gone (see remove).
    await Promise.all([...this.byName.values()].filter((m) => !this.leaving.has(m.name)).map((m) => m.open()));
    await this.settled();
  }

  /** Deactivates everything at once; providers wait for their consumers, so the order is reverse dependency order. */
  async stop(): Promise<void> {
    this.startedValue = false;
    await Promise.all([...[...this.byName.values()].map((m) => m.shutdown('container-stopped')), ...[...this.leaving.values()].map((l) => l.done)]);
    await this.settled();
  }

  onStateChange(listener: (change: ComponentStateChange) => void): () => void {
    return this.listeners.add(listener);
  }

  /**
   * Resolves with the component once it is in one of `states`.
   * @throws LatticeError WAIT_TIMEOUT after `timeoutMs`, saying why it is not.
   */
  whenState(name: string, states: readonly ComponentState[], timeoutMs: number): Promise<ComponentManager> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const manager = this.byName.get(name);
        if (!manager || !states.includes(manager.state)) return;
        stop();
        resolve(manager);
      };
      const timer = setTimeout(() => {
        stop();
        const manager = this.byName.get(name);
        const why = manager ? this.explain(manager).join(' ') : 'it is not registered.';
        reject(new LatticeError(ErrorCode.WAIT_TIMEOUT, `Component ${name} did not become ${states.join(' or ')} within ${timeoutMs} ms: ${why}`, { component: name }));
      }, timeoutMs);
      const unsubscribe = this.onStateChange((change) => {
        if (change.name === name) check();
      });
      const stop = (): void => {
        clearTimeout(timer);
        unsubscribe();
      };
      check();
    });
  }

  stateChanged(component: ComponentNode, previous: ComponentState, reason: DeactivationReason | undefined): void {
    const change: ComponentStateChange = { name: component.name, state: component.state, previous, ...(reason && { reason }) };
    if (this.logger.isLevelEnabled('debug')) component.logger.debug(change, `${component.name}: ${previous} → ${component.state}${reason ? ` (${reason})` : ''}`);
    this.listeners.emit(change);
  }

  track(work: Promise<unknown>): void {
    this.reconciles++;
    // Work starting from quiet starts a fresh run of steps.
    if (this.inFlight++ === 0 && this.parked.length === 0) this.stepsThisTurn = 0;
    void work.finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) this.checkIdle();
    });
  }

  get settleCount(): number {
    return this.settles;
  }

  /** Reconciles run so far (for metrics). */
  get reconcileCount(): number {
    return this.reconciles;
  }

  /** How many components are in each state now (for metrics: no plain data made per component). */
  stateCounts(): Map<ComponentState, number> {
    const counts = new Map<ComponentState, number>();
    for (const manager of this.byName.values()) counts.set(manager.state, (counts.get(manager.state) ?? 0) + 1);
    return counts;
  }

  /** Counts the turns of the event loop that pace() forced (see ComponentHost.forcedTurnCount). */
  get forcedTurnCount(): number {
    return this.forcedTurns;
  }

  /** Counts changes from outside the components (see outsideChange). */
  get outsideChangeCount(): number {
    return this.outsideChanges;
  }

  /** Whether some component's code (constructor, bind, activate, modified, deactivate...) is in progress. */
  get componentCodeRunning(): boolean {
    return this.componentCode > 0;
  }

  /**
   * Runs a piece of component code, counted while it lasts (bound it with its timeout: a hung one would
   * count forever). Code that finished at once is done at once.
   */
  runComponentCode<T>(work: () => MaybePromise<T>): MaybePromise<T> {
    this.componentCode++;
    let result: MaybePromise<T>;
    try {
      result = work();
    } catch (error) {
      this.componentCode--;
      throw error;
    }
    if (!(result instanceof Promise)) {
      this.componentCode--;
      return result;
    }
    return result.finally(() => {
      this.componentCode--;
    });
  }

  /**
   * Something outside the components is changing what they see: a service registered, changed or taken
   * away from outside, a configuration written or edited, a component enabled, disabled, registered or
   * removed. Asked while no component code runs, it comes from code outside the container's components,
   * which a reactivation loop never does: the reactivation guard starts counting afresh.
   */
  outsideChange(): void {
    if (this.componentCode === 0) this.outsideChanges++;
  }


  pace(): Promise<void> | undefined {
    if (this.parked.length === 0 && ++this.stepsThisTurn < STEPS_PER_TURN) return undefined;
    // Reconciles chain on microtasks, which run before any timer or I/O: components that keep changing
    // each other would starve the event loop. Past the count, reconciles wait in line and go on
    // STEPS_PER_TURN at a time, a turn of the event loop apart (each waits once: a line, not a crowd
    // that all wake on each turn and all but a few go back to sleep).
    return new Promise((resolve) => {
      this.parked.push(resolve);
      this.scheduleTurn();
    });
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.forcedTurns++;
    setImmediate(() => {
      this.turnScheduled = false;
      const batch = this.parked.splice(0, STEPS_PER_TURN);
      this.stepsThisTurn = batch.length;
      for (const resolve of batch) resolve();
      if (this.parked.length > 0) this.scheduleTurn();
    });
  }

  /** Resolves once no component has a reconcile queued or running (at once, once interrupted). */
  settled(): Promise<void> {
    if (this.inFlight === 0 || this.interrupted) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * The container is stopping: whatever waits for the runtime to settle (a start, an install) goes on
   * now, so the stop never waits on components that do not settle. Until the next start.
   */
  interrupt(): void {
    this.interrupted = true;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private checkIdle(): void {
    // A reconcile finishing can schedule another in a later microtask; wait for the turn to end.
    setImmediate(() => {
      if (this.inFlight !== 0) return;
      this.settles++;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    });
  }
}
