import { ClusterService, type ClusterEvent } from '../../components/cluster/api.js';
import { ClusterMetrics, ClusterNodesCommand, ClusterStore } from '../../components/cluster/index.js';
import { ClusterCommunicationService } from '../../components/messaging/api.js';
import { CommunicationManager } from '../../components/messaging/index.js';
import { testContainer } from '../helpers/container.js';
import { Recorder } from '../helpers/recorder.js';

/** A cluster node in this process: a container running the messaging and cluster components (and, with `metrics`, the cluster's metrics). */
export async function startNode(id: string, cluster: Record<string, unknown>, options: { metrics?: boolean } = {}) {
  const t = testContainer({ nodeId: id });
  await t.container.config.update('cluster', cluster);
  t.container.register(CommunicationManager, ClusterStore, ClusterNodesCommand);
  if (options.metrics === true) {
    await t.container.enableMetrics();
    t.container.register(ClusterMetrics);
  }
  await t.container.start();
  await t.container.whenActive('cluster');
  const store = (await t.container.getService(ClusterService)) as ClusterService;
  const messaging = (await t.container.getService(ClusterCommunicationService)) as ClusterCommunicationService;
  const events = new Recorder<ClusterEvent>();
  store.addListener((event) => {
    events.push(event);
  });
  /** Resolves once `node` is in `state` (as this node sees it). */
  const whenState = (node: string, state: 'ACTIVE' | 'INACTIVE'): Promise<void> =>
    store.getState(node) === state ? Promise.resolve() : events.waitFor(() => store.getState(node) === state, 15_000);
  return { ...t, id, store, messaging, events, whenState };
}

export type TestNode = Awaited<ReturnType<typeof startNode>>;

export function nodeList(ids: readonly string[], ports: readonly number[]): { id: string; ip: string; tcpPort: number }[] {
  return ids.map((id, i) => ({ id, ip: '127.0.0.1', tcpPort: ports[i] as number }));
}
