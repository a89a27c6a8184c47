/** Cluster membership over TCP: the cluster store, its connections, and the `cluster` commands. */
export { ClusterStore } from './ClusterStore.js';
export { ClusterMetrics } from './ClusterMetrics.js';
export { ClusterAddNodeCommand, ClusterNodesCommand, ClusterRemoveNodeCommand, ClusterSendCommand, ClusterStatsCommand } from './commands.js';
export * from './api.js';
export { ClusterConfigSchema, type ClusterConfig } from './ClusterConfig.js';
