import type { Cardinality, ReferencePolicy, ReferencePolicyOption } from '../component/ReferenceDescription.js';
import type { ConfigurationPolicy } from '../component/ComponentDescription.js';
import type { ComponentState, DeactivationReason } from './ComponentState.js';

/** A service as `component(name)` shows it. */
export interface BoundServiceInfo {
  readonly serviceId: number;
  /** The providing component, if a component provides it. */
  readonly component?: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** One reference of a component, as `component(name)` shows it (plain data). */
export interface ReferenceInfo {
  readonly name: string;
  readonly service: string;
  readonly cardinality: Cardinality;
  readonly policy: ReferencePolicy;
  readonly policyOption: ReferencePolicyOption;
  readonly target?: string;
  readonly satisfied: boolean;
  /** Services bound to the live instance. */
  readonly bound: readonly BoundServiceInfo[];
  /** Registered services matching the reference. */
  readonly candidates: readonly BoundServiceInfo[];
}

/** Everything the container knows about a component, as plain data (what `component info` prints). */
export interface ComponentInfo {
  readonly name: string;
  readonly id: number;
  readonly implementation: string;
  /** The module it was imported from (a feature's, or deploy/'s), relative to the home when inside it; absent for classes registered in code. */
  readonly module?: string;
  readonly state: ComponentState;
  readonly enabled: boolean;
  readonly immediate: boolean;
  readonly services: readonly string[];
  /** The id of the component's service registration, while registered. */
  readonly serviceId?: number;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly configurationPid: string;
  readonly configurationPolicy: ConfigurationPolicy;
  /** The configuration in force, as written (placeholders substituted), if there is one. */
  readonly configuration?: Readonly<Record<string, unknown>>;
  /** Why the latest configuration was not applied, if it was not. */
  readonly configurationProblem?: string;
  readonly references: readonly ReferenceInfo[];
  /** How many consumers hold its service. */
  readonly useCount: number;
  readonly failure?: { readonly code: string; readonly message: string; readonly stack?: string; readonly at: string };
  readonly activatedAt?: string;
  readonly activationMs?: number;
  readonly lastDeactivationReason?: DeactivationReason;
  /**
   * A factory's template: its kind (`configuration`: made by factory configurations `<pid>~<name>`;
   * `component`: by a ComponentFactory service), its factory PID or name, and the instances it made.
   */
  readonly factory?: { readonly kind: 'configuration' | 'component'; readonly id: string; readonly instances: readonly string[] };
  /** A factory's instance: the template that made it. */
  readonly instanceOf?: string;
  /** Why it is not active, in words a user can act on; empty when active. */
  readonly why: readonly string[];
}
