import { serviceToken } from '@lattice-scr/lattice';

/** A controller node: its id, and where it listens. */
export interface ControllerNode {
  readonly id: string;
  readonly ip: string;
  readonly tcpPort: number;
}

/** ACTIVE: connected and heard from recently (or this node itself); INACTIVE otherwise. */
export type NodeState = 'ACTIVE' | 'INACTIVE';

/** A membership change. */
export interface ClusterEvent {
  readonly type: 'node-added' | 'node-removed' | 'node-activated' | 'node-deactivated';
  readonly node: ControllerNode;
  /** Why, for deactivations: "connection closed", "no heartbeat for 3000 ms", ... */
  readonly reason?: string;
  readonly at: number;
}

/** Cluster membership (the seed's ClusterStore): who is in the cluster, and who is alive. */
export interface ClusterService {
  getLocalNode(): ControllerNode;
  getNodes(): ControllerNode[];
  getNode(id: string): ControllerNode | undefined;
  getState(id: string): NodeState;
  /** When a node was last heard from (ms since the epoch), if ever. */
  getLastHeard(id: string): number | undefined;
  /** The last heartbeat's round trip to a node connected now (ms), once one has come back. */
  getRoundTripMs(id: string): number | undefined;
  /**
   * How this node reaches another (or itself): `ip:tcpPort` over TCP; over NATS, `nats://host:port` of the
   * NATS server that node is connected to (as its heartbeats say), or `nats` until it is heard from.
   */
  getAddress(id: string): string;
  /** Adds a node for as long as this store runs (cluster.json is what lasts). */
  addNode(id: string, ip: string, tcpPort?: number): ControllerNode;
  removeNode(id: string): void;
  /** Listens to membership events; returns the function that stops listening. */
  addListener(listener: (event: ClusterEvent) => void): () => void;
}

export const ClusterService = serviceToken<ClusterService>('ClusterService');

export const DEFAULT_TCP_PORT = 9876;

/**
 * What a node id may be: 1 to 64 letters, digits and `. _ : @ -` (an IPv6 address fits). Ids come from
 * other nodes and are printed on terminals and in logs, so nothing else (no control characters) is let in.
 */
export const NODE_ID = /^[A-Za-z0-9._:@-]{1,64}$/;
