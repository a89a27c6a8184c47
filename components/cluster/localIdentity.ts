import type { ClusterConfig } from './ClusterConfig.js';
import { DEFAULT_TCP_PORT, type ControllerNode } from './api.js';

/**
 * Which node this container is: the node of `nodeId` (--node-id / $LATTICE_NODE_ID); else the node whose
 * ip is $LATTICE_IP (the seed's onos.ip), or, as the seed fell back to, a node of its own at that ip when
 * none has it; else the only node listed; else, with no nodes listed, a single local node on 127.0.0.1
 * (so one container runs alone out of the box).
 * @throws Error saying what to set, when it cannot tell.
 */
export function localIdentity(config: ClusterConfig, env: { nodeId?: string | undefined; ip?: string | undefined }): ControllerNode {
  const nodes = config.nodes;
  if (nodes.length === 0) {
    return { id: env.nodeId ?? env.ip ?? 'local', ip: env.ip ?? '127.0.0.1', tcpPort: DEFAULT_TCP_PORT };
  }
  const listed = nodes.map((n) => n.id).join(', ');
  if (env.nodeId !== undefined) {
    const node = nodes.find((n) => n.id === env.nodeId);
    if (!node) throw new Error(`this node's id is "${env.nodeId}", but config/cluster.json lists no such node (it lists ${listed}); add it, or start with the right --node-id`);
    return node;
  }
  if (env.ip !== undefined) {
    const matching = nodes.filter((n) => n.ip === env.ip);
    if (matching.length === 1 && matching[0]) return matching[0];
    if (matching.length > 1) throw new Error(`LATTICE_IP is ${env.ip}, which several nodes of config/cluster.json share; start with --node-id to say which one this is`);
    // The seed's fall-back: "make sure we at least know who we are" (the store warns that it is unlisted).
    return { id: env.ip, ip: env.ip, tcpPort: DEFAULT_TCP_PORT };
  }
  if (nodes.length === 1 && nodes[0]) return nodes[0];
  throw new Error(`config/cluster.json lists ${nodes.length} nodes (${listed}); start with --node-id (or set LATTICE_NODE_ID) to say which one this is`);
}
