/** One health check's answer, as the readiness report shows it. */
export interface CheckOutcome {
  readonly name: string;
  /** The component providing it, if a component does. */
  readonly component?: string;
  readonly status: 'up' | 'down';
  readonly detail?: string;
  /** How long it took to answer (or until it was given up on). */
  readonly ms: number;
}

/** A component that keeps the container from being ready. */
export interface UnreadyComponent {
  readonly name: string;
  readonly state: string;
  readonly why: string;
}

/** Whether the container is ready, and what keeps it from being so. */
export interface Readiness {
  /** Started with every feature it was to install, every counted component active or satisfied, every check up. */
  readonly ready: boolean;
  /** `starting`, `running` or `stopping` (a container not started is `stopped`). */
  readonly phase: 'starting' | 'running' | 'stopping' | 'stopped';
  /** Features that were to be installed at start (boot, remembered, --features) and were not, and why. */
  readonly featuresNotInstalled: readonly { readonly name: string; readonly error: string }[];
  /** The components readiness counted (see ContainerOptions.readyComponents), and those not ready. */
  readonly components: { readonly counted: number; readonly notReady: readonly UnreadyComponent[] };
  readonly checks: readonly CheckOutcome[];
}
