import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { COMPONENT_STATES, type ComponentState } from '../runtime/ComponentState.js';

/** What the container's metrics read: counts it keeps anyway, read when scraped. */
export interface MetricsSources {
  stateCounts(): Map<ComponentState, number>;
  reconcileCount(): number;
  configWritesRefused(): number;
  features(): Readonly<{ installs: number; installFailures: number; uninstalls: number }>;
  /** Calls `listener` with the time each successful activation took. */
  onActivation(listener: (ms: number) => void): void;
  /** Calls `listener` with the outcome of each configuration file read. */
  onReload(listener: (outcome: string) => void): void;
}

/** Activation times, in seconds: from a component that only sets fields to one that opens a server. */
const ACTIVATION_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];

/**
 * The container's Prometheus metrics, in a registry of their own, with Node's default process metrics.
 * Most are read when scraped from counts the container keeps anyway (nothing per event); the activation
 * histogram and the configuration reloads are observed as they happen.
 */
export class ContainerMetrics {
  readonly registry = new Registry();
  private readonly activations: Histogram;
  private readonly reloads: Counter<'outcome'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'lattice_components',
      help: 'Components by state.',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = sources.stateCounts();
        for (const state of COMPONENT_STATES) this.set({ state }, counts.get(state) ?? 0);
      },
    });
    this.activations = new Histogram({ name: 'lattice_component_activation_seconds', help: 'How long successful activations took, from its start (getting its services, which may activate delayed providers) to active.', buckets: ACTIVATION_BUCKETS, registers });
    counter('lattice_reconciles_total', 'Reconciles the components ran (each moves a component towards what its inputs call for).', () => sources.reconcileCount());
    this.reloads = new Counter({ name: 'lattice_config_reloads_total', help: 'Configuration files read (each at start, then after each change, the container\'s own writes included), by outcome: applied, unchanged, removed, problem.', labelNames: ['outcome'], registers });
    counter('lattice_config_writes_refused_total', 'Configuration writes refused because a component would not take the values.', () => sources.configWritesRefused());
    counter('lattice_feature_installs_total', 'Install operations that succeeded (one per install asked for; dry runs aside).', () => sources.features().installs);
    counter('lattice_feature_install_failures_total', 'Install operations that failed (refused, or undone).', () => sources.features().installFailures);
    counter('lattice_feature_uninstalls_total', 'Uninstall operations.', () => sources.features().uninstalls);
    sources.onActivation((ms) => {
      this.activations.observe(ms / 1000);
    });
    sources.onReload((outcome) => {
      this.reloads.inc({ outcome });
    });

    /** A counter read from a count kept elsewhere. */
    function counter(name: string, help: string, read: () => number): void {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    }
  }

  /** The metrics in Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
