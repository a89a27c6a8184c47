import { Activate, Component, Deactivate, MetricsService, Reference } from '@lattice-scr/lattice';
import type { Registry } from 'prom-client';
import { ClusterCommunicationService } from '../messaging/api.js';
import { ClusterService } from './api.js';

const SENT = 'lattice_cluster_messages_sent_total';
const NOT_SENT = 'lattice_cluster_messages_not_sent_total';
const RECEIVED = 'lattice_cluster_messages_received_total';
const DROPPED = 'lattice_cluster_messages_dropped_total';
const PEERS = 'lattice_cluster_peers';
const ROUND_TRIP = 'lattice_cluster_heartbeat_round_trip_seconds';
const NAMES = [SENT, NOT_SENT, RECEIVED, DROPPED, PEERS, ROUND_TRIP];

/**
 * The cluster's metrics in the container's registry, read when scraped: messages by subject (sent, not
 * sent, received, dropped), the other nodes by state, and each connected node's heartbeat round trip.
 * Without metrics (`--no-metrics`) it is active and does nothing.
 */
@Component({ name: 'cluster.metrics', immediate: true })
export class ClusterMetrics {
  @Reference({ service: ClusterService }) cluster!: ClusterService;
  @Reference({ service: ClusterCommunicationService }) messaging!: ClusterCommunicationService;
  // Greedy: metrics turned on after this activated are picked up (by a reactivation).
  @Reference({ service: MetricsService, cardinality: '0..1', policyOption: 'greedy' }) registry?: Registry;

  @Activate
  async activate(): Promise<void> {
    const registry = this.registry;
    if (!registry) return;
    // Only with metrics on: prom-client is loaded then anyway.
    const { Counter, Gauge } = await import('prom-client');
    // Left by an instance whose activation failed half-way (no deactivate then): a name registers once.
    for (const name of NAMES) registry.removeSingleMetric(name);
    const { cluster, messaging } = this;
    const bySubject = (name: string, help: string, count: (s: ReturnType<ClusterCommunicationService['subjectStats']>[number]) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['subject'],
        registers: [registry],
        collect() {
          this.reset();
          for (const stats of messaging.subjectStats()) this.inc({ subject: stats.subject }, count(stats));
        },
      });
    };
    bySubject(SENT, 'Cluster messages (and requests, and each node of a broadcast) a connection took, by subject.', (s) => s.sent);
    bySubject(NOT_SENT, 'Cluster messages not sent (no connection to the node), by subject.', (s) => s.notSent);
    bySubject(RECEIVED, 'Cluster messages and requests that arrived from other nodes, by subject.', (s) => s.received);
    bySubject(DROPPED, 'Cluster messages that arrived with no subscriber here, and replies to no request waiting here, by subject.', (s) => s.dropped);
    new Gauge({
      name: PEERS,
      help: 'The other nodes of the cluster, by state (active: connected and heard from within the failure timeout).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const local = cluster.getLocalNode().id;
        const others = cluster.getNodes().filter((node) => node.id !== local);
        const active = others.filter((node) => cluster.getState(node.id) === 'ACTIVE').length;
        this.set({ state: 'active' }, active);
        this.set({ state: 'inactive' }, others.length - active);
      },
    });
    new Gauge({
      name: ROUND_TRIP,
      help: 'The last heartbeat round trip to each connected node.',
      labelNames: ['node'],
      registers: [registry],
      collect() {
        this.reset();
        for (const node of cluster.getNodes()) {
          const ms = cluster.getRoundTripMs(node.id);
          if (ms !== undefined) this.set({ node: node.id }, ms / 1000);
        }
      },
    });
  }

  @Deactivate
  deactivate(): void {
    // The registry outlives this instance: take the metrics out, so that a reactivation can add them again.
    for (const name of NAMES) this.registry?.removeSingleMetric(name);
  }
}
