import type { MessageTransport } from '../messaging/api.js';
import type { ControllerNode } from './api.js';
import type { ConnectionSettings } from './ConnectionManager.js';

/** How a node reaches the others, as the cluster store drives it: the TCP mesh (`ConnectionManager`) or NATS (`NatsTransport`). */
export interface ClusterTransport extends MessageTransport {
  /** @throws Error when it cannot start (a port in use, a NATS server that refuses). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Settings that apply to the running transport (timing, limits). */
  update(settings: ConnectionSettings): void;
  /** The other nodes of the cluster. */
  setNodes(nodes: readonly ControllerNode[]): void;
  isActive(nodeId: string): boolean;
  lastHeard(nodeId: string): number | undefined;
  roundTripMs(nodeId: string): number | undefined;
  /** Why this node cannot reach the others now (its NATS connection is down, say), or undefined. */
  problem(): string | undefined;
  /** Where a node (or this one) is reached, when it is not its `ip:tcpPort`. */
  addressOf(nodeId: string): string | undefined;
}
