import { connect, createServer, isIP, type Server, type Socket } from 'node:net';
import type { Logger } from '@lattice-scr/lattice';
import type { ClusterTransport } from './ClusterTransport.js';
import type { NatsOptions } from './NatsTransport.js';
import { FrameType, type Frame, type FramePayload } from '../messaging/FrameCodec.js';
import type { ControllerNode } from './api.js';
import { PeerConnection, type PeerEvents, type PeerSettings } from './PeerConnection.js';
import { heartbeatTimers } from './heartbeatTimers.js';
import { reconnectDelay } from './reconnectDelay.js';
import { RefusalLog } from './RefusalLog.js';
import { listen } from './listen.js';

export interface ConnectionSettings {
  readonly local: ControllerNode;
  /** `tcp`: this manager's full mesh; `{ nats }`: through NATS servers (`NatsTransport`). */
  readonly transport: 'tcp' | { readonly nats: NatsOptions };
  readonly listenIp: string | undefined;
  readonly secret: string | undefined;
  readonly acceptUnknownNodes: boolean;
  readonly heartbeatMs: number;
  readonly failureTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxFrameBytes: number;
  /** Bytes of replies waiting to go to one peer, at most: past it the peer is dropped. */
  readonly maxQueuedReplyBytes: number;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  /** Refused connections are logged once per source per this interval, then counted. */
  readonly refusalLogIntervalMs: number;
}

/** What the connection manager tells its owner. */
export interface ConnectionListener {
  nodeActivated(nodeId: string): void;
  nodeDeactivated(nodeId: string, reason: string): void;
  /** A node cluster.json does not list completed a handshake, and unknown nodes are accepted. */
  nodeJoined(node: ControllerNode): void;
  /** Such a node's connection closed: it is forgotten. */
  nodeLeft(nodeId: string): void;
  frame(nodeId: string, frame: Frame): void;
}

/** Connections still in their handshake, at most, and at most from one address: a cap on what strangers can hold. */
const MAX_HANDSHAKES = 64;
const MAX_HANDSHAKES_PER_ADDRESS = 8;
/** How long a node's ended connection waits for a replacement that has not said who it is yet. */
const ANONYMOUS_REPLACEMENT_GRACE_MS = 250;

interface Backoff {
  attempt: number;
  nextAt: number;
}

/**
 * The node's connections to the others (the seed's connection listener, IO loops and custodian): a
 * TCP listener; a custodian that connects to every known node without a connection, retrying with
 * capped exponential backoff and jitter; one bound connection per node; heartbeats; and failure
 * detection (a node is inactive once its connection closes or it is silent for the failure timeout).
 *
 * When two nodes connect to each other at once, both keep the connection opened by the node with the
 * smaller id and retire the other, which may already carry messages: each side stops sending on it and
 * half-closes it, reads what the other sent on it before switching, and holds back what arrives on the
 * kept connection until the retired one is done. So a duplicate loses and reorders nothing.
 */
export class ConnectionManager implements ClusterTransport {
  private readonly server: Server;
  private readonly nodes = new Map<string, ControllerNode>();
  private readonly bound = new Map<string, PeerConnection>();
  private readonly connecting = new Map<string, PeerConnection>();
  private readonly peers = new Set<PeerConnection>();
  private readonly backoff = new Map<string, Backoff>();
  private readonly lastHeardAt = new Map<string, number>();
  /** The last refusal met connecting to each listed node: it repeats on every retry, so it is warned once. */
  private readonly lastRefusal = new Map<string, string>();
  /** Nodes let in as unknown (acceptUnknownNodes): known only while connected. */
  private readonly joined = new Set<string>();
  /** Retired duplicate connections by node, still being read; frames on the kept one wait for them. */
  private readonly retiring = new Map<string, Set<PeerConnection>>();
  private readonly held = new Map<string, Frame[]>();
  /** Bound connections the peer half-closed, waiting (for a while) for the replacement to bind. */
  private readonly endedTimers = new Map<PeerConnection, NodeJS.Timeout>();
  private custodian: NodeJS.Timeout | undefined;
  private stopTimers: (() => void) | undefined;
  private stopped = false;
  private readonly refusals: RefusalLog;
  /** Connections are made only once listening works: a manager whose start failed holds nothing. */
  private listening = false;

  constructor(
    private settings: ConnectionSettings,
    private readonly listener: ConnectionListener,
    private readonly logger: Logger,
  ) {
    this.refusals = new RefusalLog(logger, settings.refusalLogIntervalMs);
    // Half-open sockets: a peer's end means "nothing more from me", not "close" (see retire()).
    this.server = createServer({ allowHalfOpen: true }, (socket) => {
      const refusal = this.handshakeRoomFor(socket.remoteAddress ?? '?');
      if (refusal !== undefined) {
        this.refusals.refused(socket.remoteAddress ?? '?', `refused a connection from ${socket.remoteAddress ?? '?'}: ${refusal}`);
        socket.destroy();
        return;
      }
      this.adopt(socket, 'inbound', undefined);
    });
  }

  get localNodeId(): string {
    return this.settings.local.id;
  }

  /** Listens, then starts the custodian and the heartbeat. @throws Error when the port cannot be had. */
  async start(): Promise<void> {
    const { local, listenIp } = this.settings;
    await listen(this.server, listenIp ?? local.ip, local.tcpPort);
    this.listening = true;
    this.server.on('error', (error) => {
      this.logger.error({ err: error }, 'cluster listener failed');
    });
    this.custodian = setInterval(() => {
      this.connectMissing();
    }, Math.min(250, this.settings.reconnect.initialMs));
    this.startTimers();
    this.connectMissing();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.custodian);
    this.stopTimers?.();
    for (const peer of [...this.peers]) peer.close('this node is stopping', false, true);
    this.refusals.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  /** Timings and the like may change while running (cluster.json edited). */
  update(settings: ConnectionSettings): void {
    const timingChanged = settings.heartbeatMs !== this.settings.heartbeatMs || settings.failureTimeoutMs !== this.settings.failureTimeoutMs;
    this.settings = settings;
    this.refusals.intervalMs = settings.refusalLogIntervalMs;
    if (timingChanged && this.listening && !this.stopped) this.startTimers();
  }

  /** The nodes to stay connected to (this node excluded); connections to nodes no longer listed close. */
  setNodes(nodes: readonly ControllerNode[]): void {
    const wanted = new Map(nodes.filter((n) => n.id !== this.localNodeId).map((n) => [n.id, n]));
    for (const id of [...this.nodes.keys()]) {
      if (wanted.has(id)) continue;
      this.nodes.delete(id);
      this.backoff.delete(id);
      this.lastRefusal.delete(id);
      this.bound.get(id)?.close('node removed from the cluster');
      this.connecting.get(id)?.close('node removed from the cluster');
    }
    for (const [id, node] of wanted) {
      const before = this.nodes.get(id);
      this.nodes.set(id, node);
      // A node that moved gets a fresh connection.
      if (before && (before.ip !== node.ip || before.tcpPort !== node.tcpPort)) this.bound.get(id)?.close('node moved to a new address');
    }
    this.connectMissing();
  }

  isActive(nodeId: string): boolean {
    return this.bound.has(nodeId);
  }

  lastHeard(nodeId: string): number | undefined {
    return this.bound.get(nodeId)?.lastHeard ?? this.lastHeardAt.get(nodeId);
  }

  /** The last heartbeat round trip to a node connected now (ms). */
  roundTripMs(nodeId: string): number | undefined {
    return this.bound.get(nodeId)?.roundTripMs;
  }

  /** Started, it listens and dials: the peers' own state is theirs. */
  problem(): undefined {
    return undefined;
  }

  /** Over TCP, a node is reached at its own ip:tcpPort. */
  addressOf(): undefined {
    return undefined;
  }

  // ---- MessageTransport ----

  sendFrame(nodeId: string, type: FrameType, payload: FramePayload): Promise<boolean> {
    const peer = this.bound.get(nodeId);
    return peer ? peer.send(type, payload) : Promise.resolve(false);
  }

  connectedNodes(): string[] {
    return [...this.bound.keys()];
  }

  // ---- connections ----

  /**
   * Whether a new connection from `address` may start a handshake; the reason if not. Only inbound
   * connections count (this node's own attempts to connect are not strangers'). Each address has its
   * own budget; the addresses of listed nodes are not held to the budget all others share, so strangers
   * filling it cannot lock the cluster's own nodes out.
   */
  private handshakeRoomFor(address: string): string | undefined {
    const inbound = [...this.peers].filter((p) => p.direction === 'inbound' && p.state === 'handshake');
    if (inbound.filter((p) => p.socket.remoteAddress === address).length >= MAX_HANDSHAKES_PER_ADDRESS) {
      return `too many connections from that address still in their handshake (${MAX_HANDSHAKES_PER_ADDRESS})`;
    }
    if (this.isNodeAddress(address)) return undefined;
    const strangers = inbound.filter((p) => !this.isNodeAddress(p.socket.remoteAddress ?? '?')).length;
    return strangers >= MAX_HANDSHAKES ? `too many connections from addresses of no listed node still in their handshake (${MAX_HANDSHAKES})` : undefined;
  }

  private isNodeAddress(address: string): boolean {
    const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
    for (const node of this.nodes.values()) if (node.ip === plain) return true;
    return false;
  }

  private connectMissing(): void {
    if (this.stopped || !this.listening) return;
    const now = Date.now();
    for (const node of this.nodes.values()) {
      if (this.bound.has(node.id) || this.connecting.has(node.id)) continue;
      const backoff = this.backoff.get(node.id);
      if (backoff && backoff.nextAt > now) continue;
      let socket: Socket;
      try {
        socket = connect({ host: node.ip, port: node.tcpPort, allowHalfOpen: true });
      } catch (error) {
        this.logger.error({ node: node.id }, `cannot connect to node ${node.id} at ${node.ip}:${node.tcpPort}: ${(error as Error).message}`);
        this.backoff.set(node.id, { attempt: 10, nextAt: now + this.settings.reconnect.maxMs });
        continue;
      }
      const peer = this.adopt(socket, 'outbound', node.id);
      this.connecting.set(node.id, peer);
      socket.once('connect', () => {
        if (peer.state === 'handshake') peer.start();
      });
    }
  }

  private adopt(socket: Socket, direction: 'inbound' | 'outbound', expected: string | undefined): PeerConnection {
    const { local, secret, maxFrameBytes, handshakeTimeoutMs } = this.settings;
    const replyBound = (): number => this.settings.maxQueuedReplyBytes;
    const settings: PeerSettings = {
      local,
      secret,
      maxFrameBytes,
      handshakeTimeoutMs,
      logger: this.logger,
      // Read when it is needed: an edit of cluster.json changes it for the connections already open.
      get maxQueuedReplyBytes() {
        return replyBound();
      },
    };
    const peer = new PeerConnection(socket, direction, expected, settings, this.peerEvents);
    this.peers.add(peer);
    if (direction === 'inbound') {
      if (this.stopped) peer.close('this node is stopping');
      else peer.start();
    }
    return peer;
  }

  private readonly peerEvents: PeerEvents = {
    hello: (peer, nodeId, ip, tcpPort) => {
      // Once it has taken the name it gives (just after this), it is no anonymous replacement any more.
      if (this.endedTimers.size > 0) queueMicrotask(() => {
        this.recheckEnded();
      });
      if (nodeId === this.localNodeId) return `a peer at ${peer.remote} claims this node's own id (${nodeId}); refused`;
      if (peer.direction === 'outbound' && peer.expectedNodeId !== nodeId) {
        return `expected node ${peer.expectedNodeId ?? '?'} at ${peer.remote}, but it says it is ${nodeId}; refused`;
      }
      if (!this.nodes.has(nodeId)) {
        if (!this.settings.acceptUnknownNodes) return `refused a connection from unknown node "${nodeId}" (${peer.remote}); list it in cluster.json, or set acceptUnknownNodes`;
        // Joined only once the handshake is done (with a secret: once it proved it); here, only checked.
        if (isIP(ip) === 0 || !Number.isInteger(tcpPort) || tcpPort < 1 || tcpPort > 65535) {
          return `unknown node "${nodeId}" (${peer.remote}) gave an unusable address ${ip}:${tcpPort}; refused`;
        }
        peer.joining = { id: nodeId, ip, tcpPort };
      }
      return undefined;
    },
    bound: (peer) => {
      const nodeId = peer.nodeId as string;
      if (this.connecting.get(nodeId) === peer) this.connecting.delete(nodeId);
      if (peer.joining && !this.nodes.has(nodeId)) {
        this.nodes.set(nodeId, peer.joining);
        this.joined.add(nodeId);
        this.listener.nodeJoined(peer.joining);
      }
      const existing = this.bound.get(nodeId);
      if (existing) {
        // Both nodes apply the same rule, so both keep the same connection. One the peer has already
        // ended is the one it gave up (or it restarted): the new one is kept.
        const keepOutbound = this.localNodeId < nodeId;
        const keepNew = existing.peerEnded || (peer.direction === 'outbound') === keepOutbound;
        const [kept, retired] = keepNew ? [peer, existing] : [existing, peer];
        this.bound.set(nodeId, kept);
        this.retire(nodeId, retired, `duplicate connection to ${nodeId}; keeping the one opened by ${kept.direction === 'outbound' ? this.localNodeId : nodeId}`);
        return;
      }
      this.bound.set(nodeId, peer);
      this.backoff.delete(nodeId);
      this.lastRefusal.delete(nodeId);
      this.logger.info({ node: nodeId, direction: peer.direction, remote: peer.remote }, `connected to node ${nodeId} (${peer.direction})`);
      this.listener.nodeActivated(nodeId);
    },
    frame: (peer, frame) => {
      const nodeId = peer.nodeId as string;
      const held = this.held.get(nodeId);
      if (held && this.bound.get(nodeId) === peer) held.push(frame);
      else this.listener.frame(nodeId, frame);
    },
    ended: (peer) => {
      const nodeId = peer.nodeId as string;
      // The peer retired this connection for another one, still in its handshake here, or it is going
      // away. While a replacement may come, keep sending on this one: the peer still reads it.
      const replacement = this.replacementFor(peer);
      if (this.bound.get(nodeId) !== peer || replacement === undefined) {
        peer.close('the peer ended the connection', false, true);
        return;
      }
      // A connection that has not said who it is yet may be the replacement (its HELLO is on its way) or
      // anything else: it is given a short grace, not a whole handshake timeout.
      const timer = setTimeout(() => {
        this.endedTimers.delete(peer);
        if (this.bound.get(nodeId) === peer) peer.close('the peer ended the connection and no other one replaced it', false, true);
      }, replacement === 'named' ? this.settings.handshakeTimeoutMs : Math.min(ANONYMOUS_REPLACEMENT_GRACE_MS, this.settings.handshakeTimeoutMs));
      this.endedTimers.set(peer, timer);
    },
    closed: (peer, reason, refused) => {
      this.peers.delete(peer);
      clearTimeout(this.endedTimers.get(peer));
      this.endedTimers.delete(peer);
      if (this.endedTimers.size > 0) this.recheckEnded();
      if (peer.nodeId !== undefined) this.retired(peer.nodeId, peer);
      const nodeId = peer.nodeId ?? peer.expectedNodeId;
      if (nodeId !== undefined && this.connecting.get(nodeId) === peer) {
        this.connecting.delete(nodeId);
        this.scheduleRetry(nodeId);
      }
      if (refused) this.logRefusal(peer, reason);
      if (peer.nodeId !== undefined && this.bound.get(peer.nodeId) === peer) {
        this.bound.delete(peer.nodeId);
        this.lastHeardAt.set(peer.nodeId, peer.lastHeard);
        this.listener.nodeDeactivated(peer.nodeId, reason);
        if (this.joined.delete(peer.nodeId)) {
          // A node let in as unknown is not reconnected to: it is forgotten until it comes back.
          this.nodes.delete(peer.nodeId);
          this.lastHeardAt.delete(peer.nodeId);
          this.listener.nodeLeft(peer.nodeId);
        } else this.scheduleRetry(peer.nodeId);
      } else if (!refused) {
        // Attempts to reach a node that is down fail all the time; worth a debug line only.
        this.logger.debug({ remote: peer.remote, node: nodeId }, `cluster connection closed: ${reason}`);
      }
    },
  };

  /**
   * Whether another connection may replace `peer` (its node ended it): one in its handshake that names
   * (or was opened to) the same node, or, less surely, an inbound one that has not said who it is yet.
   */
  private replacementFor(peer: PeerConnection): 'named' | 'anonymous' | undefined {
    let anonymous = false;
    for (const p of this.peers) {
      if (p === peer || p.state !== 'handshake') continue;
      const claims = p.nodeId ?? p.expectedNodeId;
      if (claims === peer.nodeId) return 'named';
      if (claims === undefined) anonymous = true;
    }
    return anonymous ? 'anonymous' : undefined;
  }

  /** A connection in its handshake said who it is, or closed: ended connections it kept waiting go now if nothing else may replace them. */
  private recheckEnded(): void {
    for (const [peer, timer] of [...this.endedTimers]) {
      if (this.replacementFor(peer) !== undefined) continue;
      clearTimeout(timer);
      this.endedTimers.delete(peer);
      if (peer.nodeId !== undefined && this.bound.get(peer.nodeId) === peer) peer.close('the peer ended the connection and no other one replaced it', false, true);
    }
  }

  /**
   * A wrong secret or a port that is not a Lattice node refuses every retry alike: warned the first time,
   * then at debug level until the reason changes or the node connects.
   */
  private logRefusal(peer: PeerConnection, reason: string): void {
    const nodeId = peer.direction === 'outbound' ? peer.expectedNodeId : undefined;
    const again = nodeId !== undefined && this.lastRefusal.get(nodeId) === reason;
    if (nodeId !== undefined && this.nodes.has(nodeId)) this.lastRefusal.set(nodeId, reason);
    if (again) this.logger.debug({ remote: peer.remote, node: nodeId }, `${reason} (again)`);
    // Refusals of connections from elsewhere are counted per source address (a flood makes few lines).
    else if (peer.direction === 'inbound') this.refusals.refused(peer.socket.remoteAddress ?? '?', reason, { node: peer.nodeId });
    else this.logger.warn({ remote: peer.remote, node: peer.nodeId ?? nodeId }, reason);
  }

  /** Takes a duplicate out of use without losing what is in flight on it (see the class comment). */
  private retire(nodeId: string, peer: PeerConnection, reason: string): void {
    this.logger.debug({ node: nodeId, remote: peer.remote }, `retiring a ${reason}`);
    let set = this.retiring.get(nodeId);
    if (!set) this.retiring.set(nodeId, (set = new Set()));
    set.add(peer);
    if (!this.held.has(nodeId)) this.held.set(nodeId, []);
    peer.retire(this.settings.handshakeTimeoutMs);
  }

  /** A connection closed: if it was a retired duplicate, and the last one, frames held back go out now. */
  private retired(nodeId: string, peer: PeerConnection): void {
    const set = this.retiring.get(nodeId);
    if (!set?.delete(peer) || set.size > 0) return;
    this.retiring.delete(nodeId);
    const held = this.held.get(nodeId) ?? [];
    this.held.delete(nodeId);
    for (const frame of held) this.listener.frame(nodeId, frame);
  }

  private scheduleRetry(nodeId: string): void {
    if (this.stopped || !this.nodes.has(nodeId)) return;
    const attempt = (this.backoff.get(nodeId)?.attempt ?? 0) + 1;
    this.backoff.set(nodeId, { attempt, nextAt: Date.now() + reconnectDelay(attempt, this.settings.reconnect) });
  }

  /**
   * ECHO to every bound node each heartbeat; and, ten times per failure timeout (at most every 100 ms),
   * a look for nodes silent for longer than the failure timeout, so one is dropped soon after it.
   */
  private startTimers(): void {
    this.stopTimers?.();
    this.stopTimers = heartbeatTimers(
      this.settings,
      () => {
        this.beat();
      },
      () => {
        this.dropSilent();
      },
    );
  }

  private beat(): void {
    // performance.now(): the answer brings it back, and the round trip is measured on this clock.
    const now = performance.now();
    for (const peer of this.bound.values()) void peer.send(FrameType.ECHO, { s: 'ECHO', n: this.localNodeId, b: { at: now } });
  }

  private dropSilent(): void {
    const now = Date.now();
    for (const peer of [...this.bound.values()]) {
      if (now - peer.lastHeard <= this.settings.failureTimeoutMs) continue;
      if (peer.readingPaused) {
        const reason = `${peer.nodeId ?? peer.remote} does not read the replies to its requests: ${peer.replyBytesWaiting} bytes of them have waited ${now - peer.lastHeard} ms (over maxQueuedReplyBytes, ${this.settings.maxQueuedReplyBytes}, so its frames were not read meanwhile; failure timeout ${this.settings.failureTimeoutMs} ms)`;
        this.logger.warn({ node: peer.nodeId, remote: peer.remote, waitingBytes: peer.replyBytesWaiting }, reason);
        peer.close(reason);
      } else {
        peer.close(`no heartbeat for ${now - peer.lastHeard} ms (failure timeout ${this.settings.failureTimeoutMs} ms)`);
      }
    }
  }
}
