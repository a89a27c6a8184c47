import type { Logger } from '@lattice-scr/lattice';
import { heartbeatTimers } from './heartbeatTimers.js';
import { encodeFrame, FrameDecoder, FrameType, type FramePayload } from '../messaging/FrameCodec.js';
import type { ControllerNode } from './api.js';
import type { ClusterTransport } from './ClusterTransport.js';
import type { ConnectionListener, ConnectionSettings } from './ConnectionManager.js';

/** How often a peer's heartbeat is answered (which gives the round trip). */
const ROUND_TRIP_EVERY_MS = 1000;
/** How long a stop waits for what was published to reach the server. */
const DRAIN_TIMEOUT_MS = 1000;
/**
 * Bytes of frames queued for publishing past which they are published at once and the send that passed
 * it waits for the server to have them (a flush): what a sender that awaits each send can have waiting.
 */
const HIGH_WATER_BYTES = 1024 * 1024;
/** How often the same warning about another process's messages is repeated. */
const WARN_AGAIN_MS = 60_000;
/** How long the client waits between attempts to reach a server again. */
const RECONNECT_WAIT_MS = 250;

/** A `host:port` as a heartbeat names its server: shown on terminals, so nothing else is taken. */
const SERVER_ADDRESS = /^[A-Za-z0-9._:[\]-]{1,300}$/;

/** `transport.nats` of cluster.json, as the schema gives it. */
export interface NatsOptions {
  readonly servers: readonly string[];
  readonly cluster: string;
  readonly token?: string;
  readonly user?: string;
  readonly pass?: string;
  readonly nkeySeed?: string;
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly allowNoAuth: boolean;
}


/** What the transport uses of a NATS connection (`@nats-io/transport-node`). */
interface NatsConnection {
  /** What the server said of itself; `max_payload` is the largest message it takes. */
  readonly info?: { readonly max_payload: number };
  publish(subject: string, data: Uint8Array): void;
  /** The `host:port` of the server it is connected to ('' when none). */
  getServer(): string;
  subscribe(subject: string, options: { callback: (error: Error | null, message: { readonly data: Uint8Array }) => void }): { unsubscribe(): void };
  status(): AsyncIterable<{ readonly type: string; readonly error?: unknown }>;
  /** Resolves when the server has answered a ping sent after everything published before. */
  flush(): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
  /** Settles when the connection has closed (an Error when the client gave up on it). */
  closed(): Promise<void | Error>;
}

/**
 * A NATS subject token for a node id or cluster name: `.` separates tokens and `%` escapes, so both are
 * escaped; node ids hold nothing else NATS refuses (no spaces, `*` or `>`).
 */
export function subjectToken(value: string): string {
  return value.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\*/g, '%2A').replace(/>/g, '%3E').replace(/\s/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}

/**
 * The cluster over a NATS server (or a cluster of them) instead of a TCP full mesh: each node subscribes
 * to its own subject and the membership subject, and publishes a heartbeat on the membership subject every
 * `heartbeatMs`; a listed node heard from within `failureTimeoutMs` is ACTIVE. Frames are the TCP
 * transport's, one per NATS message, so messaging is the same over either.
 */
export class NatsTransport implements ClusterTransport {
  private connection: NatsConnection | undefined;
  private readonly heard = new Map<string, number>();
  private readonly active = new Set<string>();
  private readonly roundTrips = new Map<string, number>();
  /** The NATS server each peer is connected to (`nats://host:port`), as its heartbeats say. */
  private readonly servers = new Map<string, string>();
  /** When each peer's heartbeat was last answered. */
  private readonly answered = new Map<string, number>();
  private nodes = new Map<string, ControllerNode>();
  /** Each node's subject, made once. */
  private readonly nodeSubjects = new Map<string, string>();
  /**
   * Frames sent in this tick, published together at its end: the client writes to its socket once per
   * tick it publishes in, so a sender that awaits each send would otherwise cost a write per message.
   */
  private outbound: { readonly subject: string; readonly frame: Uint8Array }[] = [];
  private outboundBytes = 0;
  private publishScheduled = false;
  private stopTimers: (() => void) | undefined;
  private stopped = false;
  /** When a frame naming this node's own id was last warned of. */
  private impostorWarnedAt = -Infinity;
  /** Unlisted senders warned of (once each, a hundred at most). */
  private readonly unlistedWarned = new Set<string>();
  /** When the NATS connection went down, while it is (it reconnects): sends then say no, as over TCP. */
  private lostAt: number | undefined;
  /** Why the client gave up on its connection, once it has. */
  private closedFor: string | undefined;

  private readonly nats: NatsOptions;

  constructor(
    private settings: ConnectionSettings,
    private readonly listener: ConnectionListener,
    private readonly logger: Logger,
  ) {
    if (settings.transport === 'tcp') throw new TypeError('NatsTransport needs transport.nats settings');
    this.nats = settings.transport.nats;
  }

  get localNodeId(): string {
    return this.settings.local.id;
  }

  private subject(...tokens: string[]): string {
    return ['lattice', subjectToken(this.nats.cluster), ...tokens].join('.');
  }

  /**
   * Connects (it retries for ever once connected; the first connection must succeed), subscribes, and
   * starts the heartbeat. @throws Error naming the server and why, or when no authentication is set
   * and `allowNoAuth` is not.
   */
  async start(): Promise<void> {
    const { nats } = this;
    if (nats.token === undefined && nats.user === undefined && nats.nkeySeed === undefined && !nats.allowNoAuth) {
      throw new Error('transport.nats has no authentication (token, user and pass, or nkeySeed): anyone who can reach the NATS server could join the cluster. Set one, or "allowNoAuth": true to run without');
    }
    const client = await import('@nats-io/transport-node');
    const authenticator = nats.nkeySeed !== undefined ? client.nkeyAuthenticator(new TextEncoder().encode(nats.nkeySeed)) : undefined;
    let connection: NatsConnection;
    try {
      connection = await client.connect({
        servers: [...nats.servers],
        name: `lattice ${this.settings.local.id}`,
        maxReconnectAttempts: -1,
        // Its own heartbeats would come back to it on the membership subject, only to be dropped.
        noEcho: true,
        // A server gone without a word (a partition) is noticed within about the failure timeout, not minutes.
        pingInterval: Math.max(1000, Math.floor(this.settings.failureTimeoutMs / 2)),
        maxPingOut: 2,
        // A server back after a restart is found soon; a short loss within the failure timeout changes nothing.
        reconnectTimeWait: RECONNECT_WAIT_MS,
        ...(nats.token !== undefined && { token: nats.token }),
        ...(nats.user !== undefined && { user: nats.user, pass: nats.pass ?? '' }),
        ...(authenticator && { authenticator }),
        ...(nats.tls && { tls: { ...(nats.tls.ca !== undefined && { caFile: nats.tls.ca }), ...(nats.tls.cert !== undefined && { certFile: nats.tls.cert }), ...(nats.tls.key !== undefined && { keyFile: nats.tls.key }) } }),
      });
    } catch (error) {
      // The client's reasons in the message, not as a cause: logs print a cause's message after the error's own, which said it already.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`cannot connect to the NATS server${nats.servers.length > 1 ? 's' : ''} ${nats.servers.join(', ')}: ${reasonsOf(error)}`);
    }
    this.connection = connection;
    const take = (error: Error | null, message: { readonly data: Uint8Array }): void => {
      // A subscription refused (the server's permissions, say) leaves this node deaf: worth an error.
      if (error !== null) this.logger.error({ err: error }, `NATS subscription failed: ${error.message}`);
      else this.receive(message.data);
    };
    connection.subscribe(this.subject('node', subjectToken(this.localNodeId)), { callback: take });
    connection.subscribe(this.subject('heartbeat'), { callback: take });
    void this.watchStatus(connection);
    void connection.closed().then((error) => {
      this.lost(connection, error);
    });
    this.startTimers();
    this.beat();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTimers?.();
    const connection = this.connection;
    this.connection = undefined;
    for (const id of [...this.active]) this.deactivate(id, 'this node stopped its cluster connections');
    if (!connection) return;
    this.publishQueued(connection);
    // The others need not wait for the failure timeout: this node says it is leaving.
    try {
      connection.publish(this.subject('heartbeat'), encodeFrame(FrameType.ECHO, { s: 'ECHO', n: this.localNodeId, b: { leaving: true } }));
    } catch {
      // The connection is gone already: the others find out by the timeout.
    }
    // What was published goes out first, unless the server is gone (then draining would wait for it).
    await withinDrainTimeout(connection.drain());
    await withinDrainTimeout(connection.close());
  }

  /** Timing and limits apply at once; a change of the NATS settings themselves is a new transport (the store's job). */
  update(settings: ConnectionSettings): void {
    const timing = settings.heartbeatMs !== this.settings.heartbeatMs || settings.failureTimeoutMs !== this.settings.failureTimeoutMs;
    this.settings = settings;
    if (timing && this.connection) this.startTimers();
  }

  setNodes(nodes: readonly ControllerNode[]): void {
    this.nodes = new Map(nodes.map((n) => [n.id, n]));
    for (const id of [...this.active]) if (!this.nodes.has(id)) this.deactivate(id, 'removed from the cluster');
  }

  isActive(nodeId: string): boolean {
    return this.active.has(nodeId);
  }

  lastHeard(nodeId: string): number | undefined {
    return this.heard.get(nodeId);
  }

  roundTripMs(nodeId: string): number | undefined {
    return this.active.has(nodeId) ? this.roundTrips.get(nodeId) : undefined;
  }

  problem(): string | undefined {
    if (this.closedFor !== undefined) return `the NATS connection closed for good (${this.closedFor}); restart the cluster component, or change transport in config/cluster.json`;
    if (this.lostAt !== undefined) return `the connection to the NATS server was lost ${Math.round((Date.now() - this.lostAt) / 1000)} s ago; reconnecting`;
    return undefined;
  }

  addressOf(nodeId: string): string | undefined {
    if (nodeId !== this.localNodeId) return this.servers.get(nodeId);
    const server = this.connection?.getServer();
    return server ? `nats://${server}` : undefined;
  }

  // ---- MessageTransport ----

  sendFrame(nodeId: string, type: FrameType, payload: FramePayload): Promise<boolean> {
    const connection = this.connection;
    if (!connection || this.lostAt !== undefined || !this.active.has(nodeId)) return Promise.resolve(false);
    const frame = encodeFrame(type, payload);
    if (frame.length > this.settings.maxFrameBytes) {
      throw new RangeError(`a message of ${frame.length} bytes is over the largest frame (${this.settings.maxFrameBytes} bytes, maxFrameBytes in cluster.json)`);
    }
    const maxPayload = connection.info?.max_payload;
    if (maxPayload !== undefined && frame.length > maxPayload) {
      throw new RangeError(`a message of ${frame.length} bytes is over the largest the NATS server takes (${maxPayload} bytes, its max_payload); raise max_payload in the server's configuration, or send less`);
    }
    let subject = this.nodeSubjects.get(nodeId);
    if (subject === undefined) this.nodeSubjects.set(nodeId, (subject = this.subject('node', subjectToken(nodeId))));
    this.outbound.push({ subject, frame });
    this.outboundBytes += frame.length;
    if (this.outboundBytes >= HIGH_WATER_BYTES) {
      this.publishQueued(connection);
      return this.flushed(connection);
    }
    if (!this.publishScheduled) {
      this.publishScheduled = true;
      // After the microtasks of this tick: a loop of awaited sends queues all it sends before this runs.
      process.nextTick(() => {
        this.publishQueued(this.connection);
      });
    }
    return Promise.resolve(true);
  }

  private publishQueued(connection: NatsConnection | undefined): void {
    this.publishScheduled = false;
    const queued = this.outbound;
    this.outbound = [];
    this.outboundBytes = 0;
    if (!connection) return;
    try {
      for (const { subject, frame } of queued) connection.publish(subject, frame);
    } catch (error) {
      // The client has closed (`lost` says so): what was queued is lost, as on the end of any connection.
      this.logger.debug({ err: error }, `NATS publish failed: ${(error as Error).message}`);
    }
  }

  /**
   * The client gave up on its connection (the server refused its credentials on a reconnect, say): no
   * peer is reachable any more, and nothing retries until the transport is started anew.
   */
  private lost(connection: NatsConnection, error: void | Error): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.stopTimers?.();
    this.outbound = [];
    this.outboundBytes = 0;
    const why = error instanceof Error ? error.message : 'closed';
    this.closedFor = why;
    for (const id of [...this.active]) this.deactivate(id, `the NATS connection closed (${why})`);
    this.logger.error(
      { err: error },
      `the NATS connection closed for good (${why}): this node has no cluster connections until transport in config/cluster.json changes or the cluster component is restarted (lattice component restart cluster)`,
    );
  }

  /** Resolves once the server has what was published (or after the failure timeout, when it is away). */
  private async flushed(connection: NatsConnection): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([connection.flush().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, this.settings.failureTimeoutMs)))]);
    clearTimeout(timer);
    return true;
  }

  connectedNodes(): string[] {
    return [...this.active];
  }

  // ---- membership ----

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
    const connection = this.connection;
    if (!connection || this.lostAt !== undefined) return;
    try {
      // The server it is on goes with each heartbeat, for `cluster nodes` on the others.
      connection.publish(this.subject('heartbeat'), encodeFrame(FrameType.ECHO, { s: 'ECHO', n: this.localNodeId, b: { at: performance.now(), server: connection.getServer() } }));
    } catch (error) {
      this.logger.debug({ err: error }, `NATS heartbeat not published: ${(error as Error).message}`);
    }
  }

  private dropSilent(): void {
    const now = Date.now();
    for (const id of [...this.active]) {
      const heard = this.heard.get(id) ?? 0;
      if (now - heard > this.settings.failureTimeoutMs) this.deactivate(id, `no heartbeat for ${now - heard} ms (failure timeout ${this.settings.failureTimeoutMs} ms)`);
    }
  }

  private deactivate(id: string, reason: string): void {
    if (!this.active.delete(id)) return;
    this.roundTrips.delete(id);
    this.servers.delete(id);
    this.listener.nodeDeactivated(id, reason);
  }

  private receive(data: Uint8Array): void {
    if (this.stopped) return;
    const decoder = new FrameDecoder(this.settings.maxFrameBytes);
    decoder.append(data);
    const frame = decoder.next();
    if (frame === undefined) {
      this.logger.debug(`dropped a NATS message that is not a frame: ${decoder.error ?? 'incomplete'}`);
      return;
    }
    const from = frame.payload.n;
    if (from === this.localNodeId) {
      // Not an echo of its own (the connection asks for none): another process uses this node's id.
      const now = Date.now();
      if (now - this.impostorWarnedAt > WARN_AGAIN_MS) {
        this.impostorWarnedAt = now;
        this.logger.warn(`another process on the NATS cluster "${this.nats.cluster}" sends as this node (${from}): two nodes started with the same --node-id? Its messages are dropped here, but it receives this node's`);
      }
      return;
    }
    if (!this.nodes.has(from)) {
      if (!this.unlistedWarned.has(from) && this.unlistedWarned.size < 100) {
        this.unlistedWarned.add(from);
        this.logger.warn({ node: from }, `dropped a message from ${from}, which config/cluster.json does not list here (it is warned once): add it on this node (lattice cluster add-node), or take this node off its list`);
      } else this.logger.debug({ node: from }, `dropped a message from unlisted node ${from}`);
      return;
    }
    const echo = frame.type === FrameType.ECHO ? (frame.payload.b as { readonly at?: unknown; readonly re?: unknown; readonly leaving?: unknown; readonly server?: unknown } | undefined) : undefined;
    if (echo?.leaving === true) {
      this.heard.set(from, Date.now());
      this.deactivate(from, 'it stopped its cluster connections');
      return;
    }
    this.heard.set(from, Date.now());
    if (typeof echo?.server === 'string' && SERVER_ADDRESS.test(echo.server)) this.servers.set(from, `nats://${echo.server}`);
    if (!this.active.has(from)) {
      this.active.add(from);
      this.listener.nodeActivated(from);
    }
    if (frame.type === FrameType.ECHO) {
      if (typeof echo?.re === 'number') {
        const ms = performance.now() - echo.re;
        if (ms >= 0 && ms < 600_000) this.roundTrips.set(from, ms);
      } else if (typeof echo?.at === 'number') {
        // One answer a second per peer is enough for the round trip: answering every heartbeat of every
        // node would be n² messages per heartbeat.
        const now = performance.now();
        if (now - (this.answered.get(from) ?? -Infinity) < ROUND_TRIP_EVERY_MS) return;
        this.answered.set(from, now);
        void this.sendFrame(from, FrameType.ECHO, { s: 'ECHO', n: this.localNodeId, b: { re: echo.at, server: this.connection?.getServer() } });
      }
      return;
    }
    if (frame.type === FrameType.MESSAGE || frame.type === FrameType.REPLY) this.listener.frame(from, frame);
  }

  /**
   * The connection's own reconnects are logged, and sends say no meanwhile (the client drops what it
   * holds when it dials again); they do not change membership (heartbeats do).
   */
  private async watchStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (this.connection !== connection) return;
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.lostAt = status.type === 'reconnect' ? undefined : Date.now();
        this.logger.info(`NATS ${status.type === 'disconnect' ? 'connection lost; reconnecting' : 'connection back'}`);
      } else if (status.type === 'error') this.logger.warn({ err: status.error }, `NATS error${status.error instanceof Error ? `: ${status.error.message}` : ''}`);
    }
  }
}

/** An error's message and its causes', each once: `connection refused: connect ECONNREFUSED 127.0.0.1:4222`. */
function reasonsOf(error: unknown): string {
  const reasons: string[] = [];
  for (let e: unknown = error; e instanceof Error && reasons.length < 5; e = e.cause) if (!reasons.some((r) => r.includes(e.message))) reasons.push(e.message);
  return reasons.join(': ') || String(error);
}

/** Waits for `work` (its failure ignored), at most DRAIN_TIMEOUT_MS: a stop must not hang on a server that is gone. */
async function withinDrainTimeout(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)))]);
  clearTimeout(timer);
}
