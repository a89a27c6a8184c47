/** The variants of the cluster benchmark (see variant.ts). */
export type ClusterVariant = 'tcp' | 'nats' | 'raw-socket' | 'raw-nats';

export interface ThroughputResult {
  readonly elapsedMs: number;
}

/** Round trips (ms), percentiles of one run. */
export interface RttResult {
  readonly p50: number;
  readonly p99: number;
}

export interface ConvergeResult {
  readonly convergedMs: number;
  /** Established TCP connections of the process ÷ nodes; undefined off Linux. */
  readonly connectionsPerNode: number | undefined;
}
