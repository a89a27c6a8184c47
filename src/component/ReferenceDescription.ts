import type { ServiceToken } from './ServiceToken.js';

export type Cardinality = '0..1' | '1..1' | '0..n' | '1..n';
export type ReferencePolicy = 'static' | 'dynamic';
export type ReferencePolicyOption = 'reluctant' | 'greedy';

/** A dependency of a component on a service, read from `@Reference`. */
export interface ReferenceDescription {
  /** Unique within the component: the field name, or `constructor[i]` for a constructor parameter. */
  readonly name: string;
  readonly service: ServiceToken;
  readonly cardinality: Cardinality;
  readonly policy: ReferencePolicy;
  readonly policyOption: ReferencePolicyOption;
  /** LDAP-style filter on service properties, e.g. `(role=primary)`. */
  readonly target?: string;
  /** Names of methods called as `bind(service, properties)` and so on. */
  readonly bind?: string;
  readonly unbind?: string;
  readonly updated?: string;
  /** The field set to the bound service (or array of services, for a multiple reference). */
  readonly field?: string;
  /** The constructor parameter the service is injected into. */
  readonly parameterIndex?: number;
  /**
   * The identifier inversify resolves this reference under: for a constructor parameter, the one of its
   * index, shared by all components (the runtime knows which component it is building).
   */
  readonly injectionId: symbol;
}

export function isMandatory(cardinality: Cardinality): boolean {
  return cardinality.startsWith('1');
}

export function isMultiple(cardinality: Cardinality): boolean {
  return cardinality.endsWith('n');
}
