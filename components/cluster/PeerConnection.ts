import type { Socket } from 'node:net';
import type { Logger } from '@lattice-scr/lattice';
import { encodeFrame, FrameDecoder, FrameType, type Frame, type FramePayload } from '../messaging/FrameCodec.js';
import { NODE_ID, type ControllerNode } from './api.js';
import { newNonce, proofFor, verifyProof, type HandshakeSession } from './handshake.js';

/** The largest frame a connection accepts before its handshake is complete (HELLO and AUTH are small). */
export const HANDSHAKE_MAX_FRAME_BYTES = 4096;

/** An inbound connection must have sent its whole HELLO within this (or the handshake timeout, if shorter). */
export const HELLO_TIMEOUT_MS = 1000;

/** What the connection manager decides and hears. */
export interface PeerEvents {
  /** The peer said who it is; answer with a reason to refuse it, or undefined to go on. */
  hello(peer: PeerConnection, nodeId: string, ip: string, tcpPort: number): string | undefined;
  /** The handshake is done: the connection is bound to `peer.nodeId`. */
  bound(peer: PeerConnection): void;
  /** A MESSAGE or REPLY frame on a bound (or retiring) connection. */
  frame(peer: PeerConnection, frame: Frame): void;
  /** The peer half-closed a bound connection: it will send nothing more on it (it retired it, or it is stopping). */
  ended(peer: PeerConnection): void;
  /** The connection is gone (once); `refused` when this side refused the peer (a protocol or security reason). */
  closed(peer: PeerConnection, reason: string, refused: boolean): void;
}

/** Heartbeats are answered at most this often on one connection (the shortest heartbeatMs is 20). */
const MIN_ECHO_ANSWER_INTERVAL_MS = 10;

export interface PeerSettings {
  readonly local: ControllerNode;
  readonly secret: string | undefined;
  readonly maxFrameBytes: number;
  /** Bytes of replies waiting to go to the peer, at most: past it the peer is dropped. */
  readonly maxQueuedReplyBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly logger: Logger;
}

interface HelloBody {
  ip?: unknown;
  tcpPort?: unknown;
  nonce?: unknown;
  auth?: unknown;
  v?: unknown;
}

/** The handshake version this node speaks (3: session-bound proofs, the connecting side proving first, scrypt keys). */
export const PROTOCOL_VERSION = 3;

/**
 * One TCP connection to another node: frames in and out, and the handshake that binds it to a node.
 * Both sides send HELLO (id, address, a random challenge, whether they use a secret). With a secret,
 * the side that connected proves first (AUTH, once it has the other's HELLO); the side that accepted
 * sends its own proof only once that one checked out, so a stranger gets no proof to try guesses on.
 * Nothing but HELLO and AUTH is accepted until the peer's proof checks out. Anything else before that,
 * or anything malformed, closes it.
 */
export class PeerConnection {
  nodeId: string | undefined;
  /** For a node cluster.json does not list: where it says it listens (checked, joined once bound). */
  joining: ControllerNode | undefined;
  /**
   * `retiring`: a duplicate this side no longer sends on; it has half-closed it and still reads what the
   * peer sent before it switched, until the peer half-closes too.
   */
  state: 'handshake' | 'bound' | 'retiring' | 'closed' = 'handshake';
  /** The peer half-closed the connection (it sends nothing more on it). */
  peerEnded = false;
  lastHeard = Date.now();
  /** The last heartbeat's round trip (ms), once one came back. */
  roundTripMs: number | undefined;
  private lastEchoAnswered = -Infinity;
  private readonly decoder: FrameDecoder;
  private readonly nonce = newNonce();
  private helloSeen = false;
  private peerProved = false;
  private session: HandshakeSession | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private retireTimer: NodeJS.Timeout | undefined;
  private corked = false;
  /** Bytes of replies written and not yet handed to the system. */
  replyBytesWaiting = 0;
  /** Reading from the peer is paused until its replies drain (see writeReply). */
  readingPaused = false;
  private drained: Promise<boolean> | undefined;

  constructor(
    readonly socket: Socket,
    readonly direction: 'inbound' | 'outbound',
    /** For an outbound connection: the node it was opened to. */
    readonly expectedNodeId: string | undefined,
    private readonly settings: PeerSettings,
    private readonly events: PeerEvents,
  ) {
    // Until the peer is known, only small HELLO and AUTH frames are read at all.
    this.decoder = new FrameDecoder(settings.maxFrameBytes, (type, length) => {
      if (this.state !== 'handshake') return undefined;
      if (type !== FrameType.HELLO && type !== FrameType.AUTH) return `${this.nodeId ?? this.remote} sent a frame of type ${type} before completing the handshake; refused`;
      if (length > HANDSHAKE_MAX_FRAME_BYTES) return `${this.nodeId ?? this.remote} sent a ${length}-byte handshake frame (at most ${HANDSHAKE_MAX_FRAME_BYTES}); refused`;
      return undefined;
    });
    socket.setNoDelay(true);
    // The clock runs from the start: connecting counts too (a peer that never answers is given up on).
    this.handshakeTimer = setTimeout(() => {
      this.refuse(`no complete handshake with ${this.remote} within ${settings.handshakeTimeoutMs} ms`);
    }, settings.handshakeTimeoutMs);
    // A connection that is slow to say who it is holds a handshake slot others may need: cut it early.
    if (direction === 'inbound') {
      const helloMs = Math.min(HELLO_TIMEOUT_MS, settings.handshakeTimeoutMs);
      this.helloTimer = setTimeout(() => {
        if (!this.helloSeen) this.refuse(`no HELLO from ${this.remote} within ${helloMs} ms`);
      }, helloMs);
    }
    socket.on('data', (chunk: Buffer) => {
      this.receive(chunk);
    });
    socket.on('end', () => {
      this.onPeerEnd();
    });
    socket.on('error', (error: Error) => {
      this.close(`socket error: ${error.message}`);
    });
    socket.on('close', () => {
      this.close(this.state === 'retiring' ? 'retired duplicate connection' : 'connection closed');
    });
  }

  /** Where the peer is, for logs. */
  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  /** Sends our HELLO. */
  start(): void {
    const { local, secret } = this.settings;
    this.write(FrameType.HELLO, { s: 'HELLO', n: local.id, b: { ip: local.ip, tcpPort: local.tcpPort, nonce: this.nonce, v: PROTOCOL_VERSION, auth: secret !== undefined } });
  }

  /**
   * Sends a frame on a bound connection; false if it is not bound. Resolves once the socket took it.
   * @throws RangeError for a frame over the maximum (the peer would drop the connection for it).
   */
  send(type: FrameType, payload: FramePayload): Promise<boolean> {
    if (this.state !== 'bound') return Promise.resolve(false);
    const took = type === FrameType.REPLY ? this.writeReply(payload) : this.write(type, payload);
    return took ? Promise.resolve(true) : this.whenDrained();
  }

  /**
   * Closes the connection. A refusal or a failure drops it at once; otherwise what was already written
   * is flushed first (a graceful end: the socket goes once both sides have ended, or after a second).
   */
  close(reason: string, refused = false, graceful = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.helloTimer);
    clearTimeout(this.retireTimer);
    if (graceful && !this.socket.destroyed) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.events.closed(this, reason, refused);
  }

  /**
   * Stops sending on this connection (another one to the same node replaces it) without losing what the
   * peer already sent on it: half-closes it, and keeps reading until the peer half-closes too (it does
   * once it has switched as well), or until `timeoutMs` has passed.
   */
  retire(timeoutMs: number): void {
    if (this.state !== 'bound') return;
    this.state = 'retiring';
    // Once what was written is flushed and the peer has ended too, the socket closes by itself.
    this.socket.end();
    this.retireTimer = setTimeout(() => {
      this.close(`the peer did not end the retired duplicate connection within ${timeoutMs} ms`);
    }, timeoutMs);
  }

  /** Writes a frame; batches the writes of one tick into one system call. */
  private write(type: FrameType, payload: FramePayload): boolean {
    return this.writeFrame(this.encode(type, payload));
  }

  /**
   * Writes a reply. Replies do not wait for the socket (the peer asked; nobody awaits them), so a peer
   * that sends requests faster than it reads the answers would make them pile up: once more than
   * `maxQueuedReplyBytes` of them wait, this side stops reading from the peer (TCP then holds the peer's
   * requests back) until half of them have gone. A peer that reads nothing at all is then not heard from,
   * and the failure detector drops it. What this node sends of its own accord is not counted: a sender
   * that awaits `send` waits for the socket.
   */
  private writeReply(payload: FramePayload): boolean {
    const frame = this.encode(FrameType.REPLY, payload);
    this.replyBytesWaiting += frame.length;
    const took = this.writeFrame(frame, () => {
      this.replyBytesWaiting -= frame.length;
      if (!this.readingPaused) return;
      // The peer takes what it is sent, so it is alive, though what it sends waits while this side does not read.
      this.lastHeard = Date.now();
      if (this.replyBytesWaiting <= this.settings.maxQueuedReplyBytes / 2 && this.state !== 'closed') {
        this.readingPaused = false;
        // First the frames already read and held back, then the socket again.
        // (Handling them may pause the reading again, or close the connection.)
        if (this.handleBuffered()) this.socket.resume();
      }
    });
    if (!this.readingPaused && this.replyBytesWaiting > this.settings.maxQueuedReplyBytes) {
      this.readingPaused = true;
      this.socket.pause();
      this.settings.logger.debug({ node: this.nodeId, waitingBytes: this.replyBytesWaiting }, `${this.nodeId ?? this.remote} is slow to read the replies to its requests (${this.replyBytesWaiting} bytes wait, over maxQueuedReplyBytes): not reading its frames until half of them have gone`);
    }
    return took;
  }

  private encode(type: FrameType, payload: FramePayload): Buffer {
    const frame = encodeFrame(type, payload);
    if (frame.length > this.settings.maxFrameBytes) {
      throw new RangeError(`a message of ${frame.length} bytes is over the largest frame (${this.settings.maxFrameBytes} bytes, maxFrameBytes in cluster.json)`);
    }
    return frame;
  }

  /** `flushed` runs once the socket has handed the frame to the system (or failed to). */
  private writeFrame(frame: Buffer, flushed?: () => void): boolean {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    return this.socket.write(frame, flushed);
  }

  private whenDrained(): Promise<boolean> {
    this.drained ??= new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        this.socket.off('drain', onDrain);
        this.socket.off('finish', onDrain);
        this.socket.off('close', onClose);
        this.drained = undefined;
        resolve(ok);
      };
      const onDrain = (): void => {
        done(true);
      };
      const onClose = (): void => {
        done(false);
      };
      this.socket.on('drain', onDrain);
      // A retired connection is ended: everything written was flushed when it finishes.
      this.socket.on('finish', onDrain);
      this.socket.on('close', onClose);
    });
    return this.drained;
  }

  private receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.lastHeard = Date.now();
    this.decoder.append(chunk);
    this.handleBuffered();
  }

  /**
   * Handles the frames read, frame by frame: the HELLO at the head of a chunk decides what the gate lets
   * through after it, and a reply that passes the bound stops the reading at once (the rest waits in the
   * decoder), or one small request could be followed by thousands more in the same chunk. Returns
   * whether reading may go on.
   */
  private handleBuffered(): boolean {
    while (!this.readingPaused) {
      const frame = this.decoder.next();
      if (frame === undefined) break;
      this.handle(frame);
      if (this.isClosed()) return false;
    }
    const error = this.decoder.error;
    if (error !== undefined) this.refuse(`bad input from ${this.nodeId ?? (this.expectedNodeId === undefined ? this.remote : `node ${this.expectedNodeId} at ${this.remote}`)}: ${error}`);
    return !this.readingPaused && !this.isClosed();
  }

  /** A method, not a property test: handling a frame may close the connection. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private handle(frame: Frame): void {
    const { type, payload } = frame;
    if (type === FrameType.HELLO) this.onHello(payload);
    else if (type === FrameType.AUTH) this.onAuth(payload);
    else if (this.state === 'handshake') this.refuse(`${this.nodeId ?? this.remote} sent a frame of type ${type} before completing the handshake; refused`);
    else if (type === FrameType.ECHO) this.onEcho(payload);
    else this.events.frame(this, frame);
  }

  /**
   * A heartbeat (`{ at }`, the sender's clock) is answered with `{ re: at }`; an answer to this node's
   * own gives the round trip, on this node's clock alone. (Nodes of an earlier version send no answers
   * and ignore them: they are heartbeats too.)
   */
  private onEcho(payload: FramePayload): void {
    const body = payload.b as { readonly at?: unknown; readonly re?: unknown } | undefined;
    if (typeof body?.re === 'number') {
      const ms = performance.now() - body.re;
      // Not one of ours (another clock) if it is negative or absurd.
      if (ms >= 0 && ms < 600_000) this.roundTripMs = ms;
    } else if (typeof body?.at === 'number') {
      // A peer sends one heartbeat per heartbeatMs (20 ms at least): more often, or while what was written
      // to it waits unread, is no heartbeat to answer (so a flood of them queues nothing here).
      const now = performance.now();
      if (now - this.lastEchoAnswered < MIN_ECHO_ANSWER_INTERVAL_MS || this.socket.writableNeedDrain) return;
      this.lastEchoAnswered = now;
      void this.send(FrameType.ECHO, { s: 'ECHO', n: this.settings.local.id, b: { re: body.at } });
    }
  }

  private onHello(payload: FramePayload): void {
    if (this.helloSeen) {
      this.refuse(`${this.nodeId ?? this.remote} sent HELLO twice`);
      return;
    }
    this.helloSeen = true;
    clearTimeout(this.helloTimer);
    // Checked before it is used anywhere, logs included: an id can carry terminal escapes.
    if (!NODE_ID.test(payload.n)) {
      this.refuse(`a peer at ${this.remote} gave a node id that is not one (${JSON.stringify(payload.n.slice(0, 80))}): ids are 1 to 64 letters, digits and . _ : @ -; refused`);
      return;
    }
    const body = (typeof payload.b === 'object' && payload.b !== null ? payload.b : {}) as HelloBody;
    if (!(body.nonce instanceof Uint8Array) || body.nonce.length !== 16) {
      this.refuse(`HELLO from ${this.remote} has no 16-byte challenge`);
      return;
    }
    if (body.v !== PROTOCOL_VERSION) {
      this.refuse(`${payload.n} (${this.remote}) speaks cluster protocol version ${String(body.v)}; this node speaks ${PROTOCOL_VERSION} (run the same Lattice version on every node); refused`);
      return;
    }
    const ip = typeof body.ip === 'string' ? body.ip : '';
    const tcpPort = typeof body.tcpPort === 'number' ? body.tcpPort : Number.NaN;
    const refusal = this.events.hello(this, payload.n, ip, tcpPort);
    if (refusal !== undefined) {
      this.refuse(refusal);
      return;
    }
    this.nodeId = payload.n;
    const { secret, local } = this.settings;
    const peerUsesSecret = body.auth === true;
    if (secret === undefined) {
      if (peerUsesSecret) this.refuse(`node ${payload.n} uses a cluster secret and this node has none; refused`);
      else this.bind();
    } else if (!peerUsesSecret) {
      this.refuse(`node ${payload.n} has no cluster secret; refused`);
    } else {
      const outbound = this.direction === 'outbound';
      this.session = {
        initiatorId: outbound ? local.id : payload.n,
        acceptorId: outbound ? payload.n : local.id,
        initiatorNonce: outbound ? this.nonce : body.nonce,
        acceptorNonce: outbound ? body.nonce : this.nonce,
      };
      // The side that connected proves first; the other answers in onAuth, once that proof checked out.
      if (outbound) this.write(FrameType.AUTH, { s: 'AUTH', n: local.id, b: { proof: proofFor(secret, this.session, 'initiator') } });
    }
  }

  private onAuth(payload: FramePayload): void {
    const { secret } = this.settings;
    const proof = typeof payload.b === 'object' && payload.b !== null ? (payload.b as { proof?: unknown }).proof : undefined;
    if (secret === undefined || this.session === undefined || this.peerProved) {
      this.refuse(`unexpected AUTH from ${this.nodeId ?? this.remote}`);
    } else if (!verifyProof(secret, this.session, this.direction === 'outbound' ? 'acceptor' : 'initiator', proof)) {
      this.refuse(`node ${this.nodeId} failed authentication (wrong cluster secret); refused`);
    } else {
      this.peerProved = true;
      if (this.direction === 'inbound') this.write(FrameType.AUTH, { s: 'AUTH', n: this.settings.local.id, b: { proof: proofFor(secret, this.session, 'acceptor') } });
      this.bind();
    }
  }

  /**
   * The peer half-closed its side. A retiring or gracefully closed connection then closes by itself once
   * this side's writes are flushed (never cut short: what was written still reaches the peer).
   */
  private onPeerEnd(): void {
    this.peerEnded = true;
    if (this.state === 'bound') this.events.ended(this);
    else if (this.state === 'handshake') this.close('connection closed');
  }

  /** Closes for a protocol or security reason (the manager logs these). */
  private refuse(reason: string): void {
    this.close(reason, true);
  }

  private bind(): void {
    if (this.state !== 'handshake') return;
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.helloTimer);
    this.state = 'bound';
    this.events.bound(this);
  }
}
