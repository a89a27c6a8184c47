import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Activate, CheckConfiguration, Component, Deactivate, HEALTH_NAME, HealthCheckService, Modified, Reference, type ComponentContext, type HealthCheck, type HealthResult, type Logger } from '@lattice-scr/lattice';
import { ClusterMessagingAdmin } from '../messaging/api.js';
import { FrameType } from '../messaging/FrameCodec.js';
import { ClusterService, DEFAULT_TCP_PORT, NODE_ID, type ClusterEvent, type ControllerNode, type NodeState } from './api.js';
import { ClusterConfigSchema, maxQueuedReplyBytesOf, type ClusterConfig } from './ClusterConfig.js';
import { ConnectionManager, type ConnectionListener, type ConnectionSettings } from './ConnectionManager.js';
import type { ClusterTransport } from './ClusterTransport.js';
import { NatsTransport } from './NatsTransport.js';
import { cannotListen } from './listen.js';
import { localIdentity } from './localIdentity.js';

/** Where a node's connections are, for messages: its listener, or its NATS servers. */
function whereConnected(settings: ConnectionSettings): string {
  return settings.transport === 'tcp' ? `listening on ${settings.listenIp ?? settings.local.ip}:${settings.local.tcpPort}` : `on the NATS server${settings.transport.nats.servers.length > 1 ? 's' : ''} ${settings.transport.nats.servers.join(', ')}`;
}

/** Whether an address means every address of the machine (0.0.0.0, ::, ::0, ...). */
function isAnyAddress(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.parse(address).range() === 'unspecified';
}

/**
 * Cluster membership (the seed's DistributedClusterStore, finished): reads `config/cluster.json`,
 * knows which node it is, connects to every other node, hands its connections to the messaging side,
 * tracks who is ACTIVE, and tells listeners. Editing cluster.json adds and removes nodes at run time.
 */
@Component({ name: 'cluster', service: [ClusterService, HealthCheckService], properties: { [HEALTH_NAME]: 'cluster' }, immediate: true, configurationPid: 'cluster', configSchema: ClusterConfigSchema })
export class ClusterStore implements ClusterService, HealthCheck {
  @Reference({ service: ClusterMessagingAdmin }) messaging!: ClusterMessagingAdmin;

  private local!: ControllerNode;
  private connections: ClusterTransport | undefined;
  private settings: ConnectionSettings | undefined;
  /** Listed in cluster.json. */
  private configured = new Map<string, ControllerNode>();
  /** Added at run time: by addNode, or unknown nodes let in. */
  private readonly extra = new Map<string, ControllerNode>();
  /** Every node this store has known, so that events about a node just removed still name its address. */
  private readonly formerly = new Map<string, ControllerNode>();
  private readonly listeners = new Set<(event: ClusterEvent) => void>();
  private logger!: Logger;

  @Activate
  async activate(context: ComponentContext): Promise<void> {
    this.logger = context.logger;
    const config = context.config as ClusterConfig;
    this.local = localIdentity(config, { nodeId: context.container.nodeId ?? process.env.LATTICE_NODE_ID, ip: process.env.LATTICE_IP });
    this.configured = new Map(config.nodes.map((n) => [n.id, n]));
    if (config.nodes.length > 0 && !this.configured.has(this.local.id)) {
      this.logger.warn(
        `this node (${this.local.id} at ${this.local.ip}:${this.local.tcpPort}) is not listed in config/cluster.json: the nodes listed there refuse it unless they set acceptUnknownNodes; add it to cluster.json`,
      );
    }
    await this.connect(this.settingsFrom(config, this.local));
    this.logger.info({ node: this.local.id, address: this.getAddress(this.local.id), nodes: this.getNodes().map((n) => n.id) }, `cluster node ${this.local.id} started`);
  }

  @Modified
  async modified(raw: Record<string, unknown>): Promise<void> {
    const config = raw as ClusterConfig;
    const local = localIdentity(config, { nodeId: this.local.id, ip: undefined });
    const next = this.settingsFrom(config, local);
    const previous = this.settings;
    const before = this.remember(this.getNodes());
    const previousConfigured = this.configured;
    this.configured = new Map(config.nodes.map((n) => [n.id, n]));
    // Where this node listens, and the secret, are the TCP mesh's: over NATS they change nothing.
    const listenerChanged = next.transport === 'tcp' && (local.ip !== this.local.ip || local.tcpPort !== this.local.tcpPort || next.listenIp !== previous?.listenIp || next.secret !== previous?.secret);
    if (!previous || JSON.stringify(next.transport) !== JSON.stringify(previous.transport) || listenerChanged || next.maxFrameBytes !== previous.maxFrameBytes) {
      // Where or how this node listens changed: start its connections afresh.
      await this.disconnect();
      try {
        await this.connect(next);
        this.local = local;
      } catch (error) {
        this.configured = previousConfigured;
        if (previous) await this.restore(previous);
        throw new Error(`${(error as Error).message}; this node keeps its previous cluster settings${previous ? ` (${whereConnected(previous)})` : ''}`, { cause: error });
      }
    } else {
      this.local = local;
      this.settings = next;
      this.connections?.update(next);
      this.connections?.setNodes(this.others());
    }
    this.announceDiff(before, this.getNodes());
  }

  /**
   * Refuses, before it is written, a cluster.json this running node could not take: one that does not
   * list it (among other nodes), or that moves its listener to an address it cannot have. (An edit of
   * the file itself cannot be refused: `modified` then keeps the previous settings and says why.)
   */
  @CheckConfiguration
  async checkConfiguration(raw: Record<string, unknown>): Promise<string[]> {
    const config = raw as ClusterConfig;
    let local: ControllerNode;
    try {
      local = localIdentity(config, { nodeId: this.local.id, ip: undefined });
    } catch (error) {
      return [`$.nodes: ${(error as Error).message}`];
    }
    const host = config.listenIp ?? local.ip;
    const current = this.settings;
    // Over NATS this node listens on no port of its own.
    if (!current || config.transport !== 'tcp') return [];
    const currentHost = current.listenIp ?? current.local.ip;
    const samePort = current.local.tcpPort === local.tcpPort;
    if (samePort && host === currentHost) return [];
    const problem = await cannotListen(host, local.tcpPort);
    // On the port it holds now, and an address that overlaps its own (one of them is every address),
    // "in use" may be this node itself, and cannot be told apart without letting go of the port: then
    // `modified` finds out, and keeps the previous settings if it must.
    const overlaps = samePort && (isAnyAddress(host) || isAnyAddress(currentHost));
    if (problem === undefined || (overlaps && problem.inUse)) return [];
    const index = config.nodes.findIndex((n) => n.id === local.id);
    return [`${config.listenIp !== undefined ? '$.listenIp' : index < 0 ? '$' : `$.nodes[${index}]`}: ${problem.message}`];
  }

  /** After a failed restart: back to the settings that worked, so the node keeps its place in the cluster. */
  private async restore(previous: ConnectionSettings): Promise<void> {
    try {
      await this.connect(previous);
    } catch (error) {
      this.logger.error({ err: error }, `cluster node ${this.local.id} cannot go back to its previous settings either: ${(error as Error).message}; it has no cluster connections until cluster.json is fixed`);
    }
  }

  @Deactivate
  async deactivate(): Promise<void> {
    await this.disconnect();
    this.logger.info(`cluster node ${this.local.id} stopped`);
  }

  /** Down while this node cannot reach the others (no connections, or its NATS connection is down); other nodes being down is not this node's health. */
  check(): HealthResult {
    const connections = this.connections;
    if (!connections) return { status: 'down', detail: 'no cluster connections (see the log: the last cluster.json could not be applied)' };
    const problem = connections.problem();
    if (problem !== undefined) return { status: 'down', detail: problem };
    const others = this.getNodes().filter((n) => n.id !== this.local.id);
    return { status: 'up', detail: `${others.filter((n) => this.getState(n.id) === 'ACTIVE').length} of ${others.length} other nodes ACTIVE` };
  }

  // ---- ClusterService ----

  getLocalNode(): ControllerNode {
    return this.local;
  }

  getNodes(): ControllerNode[] {
    const all = new Map([...this.configured, ...this.extra]);
    all.set(this.local.id, this.local);
    return [...all.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  getNode(id: string): ControllerNode | undefined {
    return this.getNodes().find((n) => n.id === id);
  }

  getState(id: string): NodeState {
    if (id === this.local.id) return 'ACTIVE';
    return this.connections?.isActive(id) ? 'ACTIVE' : 'INACTIVE';
  }

  getLastHeard(id: string): number | undefined {
    return id === this.local.id ? Date.now() : this.connections?.lastHeard(id);
  }

  getRoundTripMs(id: string): number | undefined {
    return id === this.local.id ? undefined : this.connections?.roundTripMs(id);
  }

  getAddress(id: string): string {
    const node = this.getNode(id);
    return this.connections?.addressOf(id) ?? (this.settings?.transport === 'tcp' || this.settings === undefined ? (node ? `${node.ip}:${node.tcpPort}` : '') : 'nats');
  }

  addNode(id: string, ip: string, tcpPort = DEFAULT_TCP_PORT): ControllerNode {
    if (!NODE_ID.test(id) || isIP(ip) === 0 || !Number.isInteger(tcpPort) || tcpPort < 1 || tcpPort > 65535) {
      throw new Error(`cannot add node ${JSON.stringify(id)} at ${ip}:${tcpPort}: give an id (1 to 64 letters, digits and . _ : @ -), an IPv4/IPv6 address and a port (1-65535)`);
    }
    const before = this.getNodes();
    const node = { id, ip, tcpPort };
    this.extra.set(id, node);
    this.connections?.setNodes(this.others());
    this.announceDiff(before, this.getNodes());
    return node;
  }

  removeNode(id: string): void {
    if (id === this.local.id) throw new Error(`node ${id} is this node; it cannot remove itself`);
    const before = this.remember(this.getNodes());
    this.extra.delete(id);
    this.configured.delete(id);
    this.connections?.setNodes(this.others());
    this.announceDiff(before, this.getNodes());
  }

  addListener(listener: (event: ClusterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- connections ----

  /** Listens and connects with these settings; they become the current ones only if that works. */
  private async connect(settings: ConnectionSettings): Promise<void> {
    const listener: ConnectionListener = {
      nodeActivated: (id) => {
        this.emit('node-activated', id);
      },
      nodeDeactivated: (id, reason) => {
        this.emit('node-deactivated', id, reason);
      },
      nodeJoined: (node) => {
        this.extra.set(node.id, node);
        this.emit('node-added', node.id);
      },
      nodeLeft: (id) => {
        const node = this.extra.get(id);
        if (!node || this.configured.has(id)) return;
        this.extra.delete(id);
        this.emit('node-removed', id, 'an unknown node that disconnected', node);
      },
      frame: (id, frame) => {
        if (frame.type === FrameType.MESSAGE || frame.type === FrameType.REPLY) this.messaging.deliver(frame.type, frame.payload, id);
      },
    };
    const connections: ClusterTransport = settings.transport === 'tcp' ? new ConnectionManager(settings, listener, this.logger) : new NatsTransport(settings, listener, this.logger);
    connections.setNodes(this.others());
    await connections.start();
    this.settings = settings;
    this.connections = connections;
    this.messaging.attach(connections);
  }

  private async disconnect(): Promise<void> {
    const connections = this.connections;
    if (!connections) return;
    this.connections = undefined;
    this.messaging.detach(connections);
    await connections.stop();
  }

  private settingsFrom(config: ClusterConfig, local: ControllerNode): ConnectionSettings {
    return {
      local,
      transport: config.transport,
      listenIp: config.listenIp,
      secret: config.secret,
      acceptUnknownNodes: config.acceptUnknownNodes,
      heartbeatMs: config.heartbeatMs,
      failureTimeoutMs: config.failureTimeoutMs,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      maxFrameBytes: config.maxFrameBytes,
      maxQueuedReplyBytes: maxQueuedReplyBytesOf(config),
      reconnect: config.reconnect,
      refusalLogIntervalMs: config.refusalLogIntervalMs,
    };
  }

  private others(): ControllerNode[] {
    return this.getNodes().filter((n) => n.id !== this.local.id);
  }

  private remember(nodes: ControllerNode[]): ControllerNode[] {
    for (const node of nodes) this.formerly.set(node.id, node);
    return nodes;
  }

  private announceDiff(before: readonly ControllerNode[], after: readonly ControllerNode[]): void {
    for (const node of after) if (!before.some((b) => b.id === node.id)) this.emit('node-added', node.id, undefined, node);
    for (const node of before) if (!after.some((a) => a.id === node.id)) this.emit('node-removed', node.id, undefined, node);
  }

  private emit(type: ClusterEvent['type'], id: string, reason?: string, known?: ControllerNode): void {
    const node = known ?? this.getNode(id) ?? this.formerly.get(id) ?? { id, ip: '?', tcpPort: 0 };
    const event: ClusterEvent = { type, node, ...(reason !== undefined && { reason }), at: Date.now() };
    const words = { 'node-added': 'added', 'node-removed': 'removed', 'node-activated': 'ACTIVE', 'node-deactivated': 'INACTIVE' }[type];
    this.logger.info({ event: type, node: id, reason }, `node ${id} ${words}${reason ? ` (${reason})` : ''}`);
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error }, 'a cluster event listener threw');
      }
    }
  }
}
