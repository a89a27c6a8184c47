import type { Logger } from 'pino';
import type { ComponentState } from './ComponentState.js';
import type { ServiceProvider, ServiceRecord, ServiceUser } from './ServiceRecord.js';

/** Brands the classes that implement ComponentNode (see isComponentNode). */
export const COMPONENT_NODE: unique symbol = Symbol('lattice.component-node');

/**
 * A component as the runtime's other pieces see it: a provider and user of services, a node of the
 * wait graph. They name this interface, never the class that implements it (ComponentManager).
 */
export interface ComponentNode extends ServiceProvider, ServiceUser {
  readonly [COMPONENT_NODE]: true;
  readonly name: string;
  readonly state: ComponentState;
  readonly logger: Logger;
  /** True when `getService(record)` would hand the instance over without waiting for anything. */
  servesAtOnce(record: ServiceRecord): boolean;
  /** The instance, for `user`, when `servesAtOnce(record)`: counted as getService counts it. */
  serveAtOnce(record: ServiceRecord, user: ServiceUser): unknown;
  /** True when this component lets go of `record` without its reconcile (see ComponentManager). */
  releasesOnItsOwn(record: ServiceRecord): boolean;
  /** The components whose services this one holds or could bind now. */
  dependencies(): Set<ComponentNode>;
  /** Asks for a reconcile; resolves when it has run. */
  requestReconcile(): Promise<void>;
  /** `consumer` skipped this component's service because it was still activating: tell it once active. */
  bindLate(consumer: ComponentNode): void;
  /** `consumer` goes away: it needs no telling any more. */
  forgetLate(consumer: ComponentNode): void;
  /** A provider this component skipped (see bindLate) is active now. */
  providerReady(provider: ComponentNode): void;
}

export function isComponentNode(value: ServiceProvider | ServiceUser): value is ComponentNode {
  return (value as Partial<ComponentNode>)[COMPONENT_NODE] === true;
}
