import { serviceToken } from '@lattice-scr/lattice';
import type { FramePayload, FrameType } from './FrameCodec.js';

/** A message as subscribers receive it. */
export interface ClusterMessage<T = unknown> {
  readonly subject: string;
  /** The node it came from (as authenticated by the connection, not as the message claims). */
  readonly sender: string;
  readonly body: T;
}

/**
 * Receives the messages of a subject. For a message sent with `sendAndReceive`, what the first
 * subscriber returns (or resolves to) other than undefined is the reply; a throw or rejection is the
 * error the requester sees.
 */
export type MessageSubscriber = (message: ClusterMessage) => unknown;

/** Subject-based messages between cluster nodes (the seed's ClusterCommunicationService, finished). */
export interface ClusterCommunicationService {
  /** This node's id, once the cluster store has attached its connections. */
  readonly localNodeId: string | undefined;
  /** Sends to one node; true once the message is on its way, false when there is no connection to it. */
  send(subject: string, body: unknown, nodeId: string): Promise<boolean>;
  /** Sends to every connected node; resolves to the ids it was sent to. */
  broadcast(subject: string, body: unknown): Promise<string[]>;
  /** Sends and waits for the reply. @throws when there is no connection, the reply is an error, or it times out */
  sendAndReceive<T = unknown>(subject: string, body: unknown, nodeId: string, options?: { timeoutMs?: number }): Promise<T>;
  addSubscriber(subject: string, subscriber: MessageSubscriber): void;
  removeSubscriber(subject: string, subscriber: MessageSubscriber): void;
  getSubscribers(subject: string): MessageSubscriber[];
  /** What this node sent, received, delivered and dropped, since messaging activated. */
  stats(): MessagingStats;
  /** The same by subject (the first 1,000 subjects seen; the rest together as `OTHER_SUBJECTS`). */
  subjectStats(): SubjectStats[];
}

/** Where subjects past the first 1,000 are counted: so many would be a mistake (an id in a subject, say), and each costs memory and a metrics series. */
export const OTHER_SUBJECTS = '(other subjects)';

/** One subject's counters, as `MessagingStats` counts them for all. */
export interface SubjectStats {
  readonly subject: string;
  /** Messages, requests and broadcast copies on this subject a connection took. */
  readonly sent: number;
  readonly notSent: number;
  /** Messages and requests on this subject that arrived (replies are not counted here). */
  readonly received: number;
  /** Arrived with no subscriber here, or replies to no request waiting here. */
  readonly dropped: number;
}

/**
 * Message counters. Delivery is at most once: `sent` counts messages a connection's socket took, not
 * messages the peer received (a peer that dies or is dropped loses what was on the way to it).
 */
export interface MessagingStats {
  /** When counting began (messaging activated), ms since the epoch. */
  readonly since: number;
  /** Messages (and requests) a connection took; each node of a broadcast counts once. */
  readonly sent: number;
  /** Messages (and requests) not sent: no connection to the node, or it was dropped as the message went. */
  readonly notSent: number;
  /** Messages (and requests) that arrived from other nodes. */
  readonly received: number;
  /** Of those, the ones given to at least one subscriber. */
  readonly delivered: number;
  readonly dropped: {
    /** Arrived for a subject with no subscriber here (a request gets an error reply at once). */
    readonly noSubscriber: number;
    /** Replies to no request waiting here (it timed out, or the reply came from another node). */
    readonly lateReply: number;
  };
  readonly requests: {
    /** Requests this node sent (`sendAndReceive`); also counted in `sent`. */
    readonly sent: number;
    readonly answered: number;
    /** Answered with an error (the subscriber threw, or there was none). */
    readonly failed: number;
    readonly timedOut: number;
  };
  readonly replies: {
    /** Replies this node sent to other nodes' requests, errors included. */
    readonly sent: number;
    /** Replies that could not be sent (no connection any more, or the body cannot travel). */
    readonly notSent: number;
  };
}

/** The cluster store's connections, as the messaging side uses them. */
export interface MessageTransport {
  readonly localNodeId: string;
  /**
   * Sends a frame; false when there is no connection to the node. Resolves once the socket took it.
   * @throws (synchronously) when the payload cannot be encoded, or is over the largest frame.
   */
  sendFrame(nodeId: string, type: FrameType, payload: FramePayload): Promise<boolean>;
  /** Nodes with a connection now. */
  connectedNodes(): string[];
}

/** The dispatch side of messaging, which the cluster store uses (the seed's CommunicationsDelegate). */
export interface ClusterMessagingAdmin {
  /** The store's connections become the way out. */
  attach(transport: MessageTransport): void;
  detach(transport: MessageTransport): void;
  /** A MESSAGE or REPLY frame arrived on the connection bound to node `from`. */
  deliver(type: FrameType, payload: FramePayload, from: string): void;
}

export const ClusterCommunicationService = serviceToken<ClusterCommunicationService>('ClusterCommunicationService');
export const ClusterMessagingAdmin = serviceToken<ClusterMessagingAdmin>('ClusterMessagingAdmin');

/** Subjects the cluster uses itself; components cannot send on them. */
export const RESERVED_SUBJECTS: ReadonlySet<string> = new Set(['HELLO', 'ECHO', 'AUTH', OTHER_SUBJECTS]);
