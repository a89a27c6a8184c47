import type { Logger } from 'pino';
import type { ComponentClass } from '../component/ComponentDescription.js';
import type { ConfigurationSource } from '../config/ConfigurationEntry.js';
import type { CodeHost } from './ComponentCode.js';
import type { ContainerFacts } from './ComponentContext.js';
import type { ComponentNode } from './ComponentNode.js';
import type { ComponentState, DeactivationReason } from './ComponentState.js';
import type { InstanceFactory } from './InstanceFactory.js';
import type { ServiceRegistry } from './ServiceRegistry.js';
import type { WaitGraph } from './WaitGraph.js';

/** What a component's manager needs from the runtime that owns it. */
export interface ComponentHost extends CodeHost {
  readonly registry: ServiceRegistry;
  readonly facts: ContainerFacts;
  readonly config: ConfigurationSource;
  readonly waits: WaitGraph<ComponentNode>;
  readonly logger: Logger;
  readonly instances: InstanceFactory;
  stateChanged(component: ComponentNode, previous: ComponentState, reason: DeactivationReason | undefined): void;
  /** Counts work in flight, so that `settled()` knows when the container is quiet. */
  track(work: Promise<unknown>): void;
  /** How many times one cause may reactivate a component while the runtime settles before it is a loop. */
  readonly reactivationLimit: number;
  /** Counts the runtime's settles: bumped each time it becomes quiet. */
  readonly settleCount: number;
  /** Counts the turns of the event loop that pace() forced: quiet across one of those is not rest. */
  readonly forcedTurnCount: number;
  /** Counts changes that came from outside the components (the guard starts afresh on each). */
  readonly outsideChangeCount: number;
  /**
   * Called before a reconcile's first step and before each step that follows one that waited: after a
   * run of steps, a promise that resolves on the next turn of
   * the event loop (so timers and I/O run even while components keep changing); otherwise undefined.
   */
  pace(): Promise<void> | undefined;
  /** Where a component class came from (its module file, for messages), if known. */
  moduleOf?(implementation: ComponentClass): string | undefined;
}
