import type { Registry } from 'prom-client';
import { serviceToken } from '../component/ServiceToken.js';

/**
 * The container's Prometheus registry (prom-client's `Registry`), registered as a service once metrics
 * are on (`lattice start`, or `container.enableMetrics()`): components add their own metrics to it
 * (`new Counter({ name, help, registers: [registry] })`), and `GET /metrics` serves them.
 */
export const MetricsService = serviceToken<Registry>('lattice.Metrics');
