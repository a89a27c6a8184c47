import { serviceToken } from '../component/ServiceToken.js';

/** What a health check answers: `up`, or `down` with why. */
export interface HealthResult {
  readonly status: 'up' | 'down';
  /** Why (or how): shown by `lattice health` and the control API, never by the tokenless endpoints. */
  readonly detail?: string;
}

/**
 * A check the container's readiness depends on: a component provides it as `HealthCheckService`. Its
 * name is the service property `health.name`, else the providing component's name.
 */
export interface HealthCheck {
  check(): HealthResult | Promise<HealthResult>;
}

export const HealthCheckService = serviceToken<HealthCheck>('lattice.HealthCheck');

/** The service property that names a health check. */
export const HEALTH_NAME = 'health.name';
