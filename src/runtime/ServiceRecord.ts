import type { StandardSchemaV1 } from '../config/StandardSchema.js';
import type { ServiceToken } from '../component/ServiceToken.js';
import type { Properties } from '../filter/matchFilter.js';

export type ServiceProperties = Properties;

/** Property names the registry sets on every service. */
export const SERVICE_ID = 'service.id';
export const SERVICE_RANKING = 'service.ranking';
export const OBJECT_CLASS = 'objectClass';
export const COMPONENT_NAME = 'component.name';
export const COMPONENT_ID = 'component.id';

/** Someone holding a service: a component, or code outside the container. */
export interface ServiceUser {
  /** For logs and diagnostics. */
  readonly userName: string;
  /**
   * Resolves once this user no longer holds `record`. Components release a service that is going away
   * by unbinding it or deactivating; code outside the container is not waited for (undefined).
   */
  whenReleased?(record: ServiceRecord): Promise<void>;
}

/** What hands out a service's object: a component (activating it first if it is delayed) or a plain instance. */
export interface ServiceProvider {
  /** The providing component's name, undefined for a service registered from outside the container. */
  readonly componentName: string | undefined;
  /** The schema of the configuration among the properties, if any (it marks which are secret). */
  readonly propertySchema?: StandardSchemaV1 | undefined;
  /** The service object for `user`, or undefined if it cannot be had (going away, failed to activate). */
  getService(record: ServiceRecord, user: ServiceUser): Promise<unknown>;
  /** `user` no longer uses the object it got. */
  ungetService(record: ServiceRecord, user: ServiceUser): void;
}

/** One registered service: the registry's entry, shared by every reference that tracks it. */
export class ServiceRecord {
  status: 'registered' | 'unregistering' | 'unregistered' = 'registered';
  private props: ServiceProperties;
  private rank: number;

  constructor(
    readonly id: number,
    readonly tokens: readonly ServiceToken[],
    properties: ServiceProperties,
    readonly provider: ServiceProvider,
  ) {
    this.props = properties;
    this.rank = rankingOf(properties);
  }

  get properties(): ServiceProperties {
    return this.props;
  }

  get ranking(): number {
    return this.rank;
  }

  /** Replaces the properties (the registry keeps the standard ones). */
  setProperties(properties: ServiceProperties): void {
    this.props = properties;
    this.rank = rankingOf(properties);
  }

  /** A method, not a getter: the status changes across awaits, and TypeScript must not assume otherwise. */
  isRegistered(): boolean {
    return this.status === 'registered';
  }
}

/** OSGi order: highest `service.ranking` first, then lowest `service.id`. */
export function compareRecords(a: ServiceRecord, b: ServiceRecord): number {
  return b.ranking - a.ranking || a.id - b.id;
}

function rankingOf(properties: ServiceProperties): number {
  const value = properties[SERVICE_RANKING];
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}
