import type { ComponentRuntime } from '../runtime/ComponentRuntime.js';
import type { ContainerMetrics, MetricsSources } from './ContainerMetrics.js';

/**
 * Makes the container's metrics, loading prom-client only now: its import costs about as much as the rest
 * of a command's start. The runtime gives the component counts, the reconciles and each activation's time.
 */
export async function loadContainerMetrics(runtime: ComponentRuntime, sources: Pick<MetricsSources, 'configWritesRefused' | 'features' | 'onReload'>): Promise<ContainerMetrics> {
  const { ContainerMetrics: Metrics } = await import('./ContainerMetrics.js');
  return new Metrics({
    ...sources,
    stateCounts: () => runtime.stateCounts(),
    reconcileCount: () => runtime.reconcileCount,
    onActivation: (listener) => {
      runtime.onStateChange((change) => {
        if (change.state !== 'active' || change.previous !== 'activating' || !runtime.has(change.name)) return;
        const instance = runtime.get(change.name).currentInstance;
        if (instance) listener(instance.activationMs);
      });
    },
  });
}
