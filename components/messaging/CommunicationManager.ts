import { Activate, Component, Deactivate, type ComponentContext, type Logger } from '@lattice-scr/lattice';
import {
  ClusterCommunicationService,
  ClusterMessagingAdmin,
  RESERVED_SUBJECTS,
  type ClusterMessage,
  type MessageSubscriber,
  type MessageTransport,
  type MessagingStats,
  OTHER_SUBJECTS,
  type SubjectStats,
} from './api.js';
import { FrameType, MAX_NESTING, type FramePayload } from './FrameCodec.js';

interface PendingRequest {
  readonly nodeId: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** Subjects counted one by one; past this many, the rest are counted together (as OTHER_SUBJECTS). */
const MAX_COUNTED_SUBJECTS = 1000;

/** Counters as they are kept: `MessagingStats` without its readonly. */
type Counters = { -readonly [K in keyof MessagingStats]: MessagingStats[K] extends object ? { -readonly [L in keyof MessagingStats[K]]: number } : MessagingStats[K] };

function newCounters(): Counters {
  return {
    since: Date.now(),
    sent: 0,
    notSent: 0,
    received: 0,
    delivered: 0,
    dropped: { noSubscriber: 0, lateReply: 0 },
    requests: { sent: 0, answered: 0, failed: 0, timedOut: 0 },
    replies: { sent: 0, notSent: 0 },
  };
}

/** The counters of one subject; `counted` is made once, so counting a send allocates nothing. */
class SubjectCounters {
  sent = 0;
  notSent = 0;
  received = 0;
  dropped = 0;
  constructor(
    readonly subject: string,
    private readonly all: Counters,
  ) {}

  /** Counts a message the transport took or did not take; passes the answer on. */
  readonly counted = (sent: boolean): boolean => {
    if (sent) {
      this.sent++;
      this.all.sent++;
    } else {
      this.notSent++;
      this.all.notSent++;
    }
    return sent;
  };
}

/**
 * Subject-based messaging between cluster nodes: subscribers by subject, sending through the cluster
 * store's connections (its transport), and request/reply. A delayed component: the cluster store's
 * reference activates it.
 */
@Component({ name: 'messaging', service: [ClusterCommunicationService, ClusterMessagingAdmin] })
export class CommunicationManager implements ClusterCommunicationService, ClusterMessagingAdmin {
  private transport: MessageTransport | undefined;
  private readonly subscribers = new Map<string, Set<MessageSubscriber>>();
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private logger: Logger | undefined;
  private counters = newCounters();
  private bySubject = new Map<string, SubjectCounters>();

  @Activate
  activate(context: ComponentContext): void {
    this.logger = context.logger;
    this.counters = newCounters();
    this.bySubject = new Map();
  }

  @Deactivate
  deactivate(): void {
    this.transport = undefined;
    for (const [id, request] of this.pending) this.settle(id, request, new Error('messaging stopped before the reply came'));
  }

  get localNodeId(): string | undefined {
    return this.transport?.localNodeId;
  }

  // ---- ClusterCommunicationService ----

  async send(subject: string, body: unknown, nodeId: string): Promise<boolean> {
    checkSubject(subject);
    checkBody(body);
    const transport = this.transport;
    const counters = this.countersOf(subject);
    if (!transport) return counters.counted(false);
    return transport.sendFrame(nodeId, FrameType.MESSAGE, { s: subject, n: transport.localNodeId, b: body }).then(counters.counted);
  }

  async broadcast(subject: string, body: unknown): Promise<string[]> {
    checkSubject(subject);
    checkBody(body);
    const transport = this.transport;
    if (!transport) return [];
    const nodes = transport.connectedNodes();
    const { counted } = this.countersOf(subject);
    const sent = await Promise.all(nodes.map((node) => transport.sendFrame(node, FrameType.MESSAGE, { s: subject, n: transport.localNodeId, b: body }).then(counted)));
    return nodes.filter((_, i) => sent[i]);
  }

  async sendAndReceive<T = unknown>(subject: string, body: unknown, nodeId: string, options: { timeoutMs?: number } = {}): Promise<T> {
    checkSubject(subject);
    checkBody(body);
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // Node fires a timer over 2^31-1 ms at once, and a zero or negative one too.
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2_147_483_647) throw new RangeError(`timeoutMs must be a whole number of milliseconds, 1 to 2147483647 (got ${timeoutMs})`);
    const transport = this.transport;
    const { counted } = this.countersOf(subject);
    if (!transport) {
      counted(false);
      throw new Error(`no connection to node ${nodeId}: the cluster store has not attached its connections`);
    }
    const id = this.nextRequestId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const request = this.pending.get(id);
        if (!request) return;
        this.counters.requests.timedOut++;
        this.settle(id, request, new Error(`no reply from node ${nodeId} to "${subject}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { nodeId, resolve: resolve as (value: unknown) => void, reject, timer });
      const failed = (error: unknown): void => {
        const request = this.pending.get(id);
        if (request) this.settle(id, request, error instanceof Error ? error : new Error(String(error)));
      };
      try {
        transport.sendFrame(nodeId, FrameType.MESSAGE, { s: subject, n: transport.localNodeId, b: body, i: id }).then((sent) => {
          if (counted(sent)) this.counters.requests.sent++;
          else failed(new Error(`no connection to node ${nodeId}`));
        }, failed);
      } catch (error) {
        failed(error);
      }
    });
  }

  addSubscriber(subject: string, subscriber: MessageSubscriber): void {
    let set = this.subscribers.get(subject);
    if (!set) this.subscribers.set(subject, (set = new Set()));
    set.add(subscriber);
  }

  removeSubscriber(subject: string, subscriber: MessageSubscriber): void {
    const set = this.subscribers.get(subject);
    set?.delete(subscriber);
    if (set?.size === 0) this.subscribers.delete(subject);
  }

  getSubscribers(subject: string): MessageSubscriber[] {
    return [...(this.subscribers.get(subject) ?? [])];
  }

  stats(): MessagingStats {
    return structuredClone(this.counters);
  }

  subjectStats(): SubjectStats[] {
    return [...this.bySubject.values()].map(({ subject, sent, notSent, received, dropped }) => ({ subject, sent, notSent, received, dropped }));
  }

  /** The counters of a subject (of OTHER_SUBJECTS once MAX_COUNTED_SUBJECTS have their own). */
  private countersOf(subject: string): SubjectCounters {
    let counters = this.bySubject.get(subject);
    if (counters === undefined) {
      const key = this.bySubject.size < MAX_COUNTED_SUBJECTS ? subject : OTHER_SUBJECTS;
      counters = this.bySubject.get(key) ?? new SubjectCounters(key, this.counters);
      this.bySubject.set(key, counters);
    }
    return counters;
  }

  // ---- ClusterMessagingAdmin ----

  attach(transport: MessageTransport): void {
    this.transport = transport;
  }

  detach(transport: MessageTransport): void {
    if (this.transport !== transport) return;
    this.transport = undefined;
    for (const [id, request] of this.pending) this.settle(id, request, new Error('the cluster connections closed before the reply came'));
  }

  deliver(type: FrameType, payload: FramePayload, from: string): void {
    if (type === FrameType.REPLY) {
      const request = payload.r === undefined ? undefined : this.pending.get(payload.r);
      // A late reply (after a timeout), or one from another node than asked, is dropped.
      if (!request || request.nodeId !== from || payload.r === undefined) {
        this.counters.dropped.lateReply++;
        this.countersOf(payload.s).dropped++;
        this.logger?.debug({ subject: payload.s, from, request: payload.r }, `dropped a reply from node ${from} to no request waiting for it`);
        return;
      }
      if (payload.e === undefined) this.counters.requests.answered++;
      else this.counters.requests.failed++;
      this.settle(payload.r, request, payload.e === undefined ? undefined : new Error(payload.e), payload.b);
      return;
    }
    const message: ClusterMessage = { subject: payload.s, sender: from, body: payload.b };
    let outcome: { value: unknown } | { error: unknown } | undefined;
    const failed = (error: unknown): void => {
      this.logger?.error({ err: error, subject: payload.s, from }, `a subscriber of "${payload.s}" threw: ${messageOf(error)}`);
    };
    this.counters.received++;
    const counters = this.countersOf(payload.s);
    counters.received++;
    const subscribers = this.subscribers.get(payload.s);
    if (subscribers === undefined) {
      this.counters.dropped.noSubscriber++;
      counters.dropped++;
      this.logger?.debug({ subject: payload.s, from }, `dropped a message from node ${from}: no subscriber of "${payload.s}"`);
    } else this.counters.delivered++;
    // Every subscriber gets the message, in arrival order, even if one throws (or its promise rejects).
    for (const subscriber of subscribers === undefined ? [] : [...subscribers]) {
      try {
        const result = subscriber(message);
        if (isThenable(result)) result.then(undefined, failed);
        if (outcome === undefined && result !== undefined) outcome = { value: result };
      } catch (error) {
        failed(error);
        outcome ??= { error };
      }
    }
    if (payload.i !== undefined) this.reply(payload, from, outcome);
  }

  /** Answers a request with what the first subscriber gave: a value (or promise), or what it threw. */
  private reply(request: FramePayload, to: string, outcome: { value: unknown } | { error: unknown } | undefined): void {
    const transport = this.transport;
    if (!transport) {
      this.counters.replies.notSent++;
      return;
    }
    const answer = (fields: { b?: unknown; e?: string }): void => {
      // A reply that cannot go (a body the wire cannot carry, or too big) becomes an error reply.
      const unsent = (error: unknown): void => {
        this.logger?.error({ err: error, subject: request.s, to }, `cannot send the reply to "${request.s}" to node ${to}: ${messageOf(error)}`);
        if (fields.e === undefined) answer({ e: `the reply could not be sent: ${messageOf(error)}` });
        else this.counters.replies.notSent++;
      };
      try {
        checkBody(fields.b);
        transport.sendFrame(to, FrameType.REPLY, { s: request.s, n: transport.localNodeId, r: request.i, ...fields }).then((sent) => {
          if (sent) this.counters.replies.sent++;
          else this.counters.replies.notSent++;
        }, unsent);
      } catch (error) {
        unsent(error);
      }
    };
    const failed = (error: unknown): void => {
      answer({ e: messageOf(error) });
    };
    if (outcome === undefined) answer({ e: `no subscriber of "${request.s}" on node ${transport.localNodeId} answered` });
    else if ('error' in outcome) failed(outcome.error);
    else if (isThenable(outcome.value)) {
      outcome.value.then((b: unknown) => {
        answer({ b });
      }, failed);
    } else {
      // At once, not a microtask later: the connection counts this reply before it reads the next request.
      answer({ b: outcome.value });
    }
  }

  private settle(id: number, request: PendingRequest, error: Error | undefined, value?: unknown): void {
    this.pending.delete(id);
    clearTimeout(request.timer);
    if (error) request.reject(error);
    else request.resolve(value);
  }
}

/** Arrays and maps a body may nest: the payload map around it is one more level on the wire. */
const MAX_BODY_NESTING = MAX_NESTING - 1;

/**
 * A body must survive the trip, and the receiver would have to drop the connection for one that does
 * not, so it is refused here instead: MessagePack decoders refuse a map key "__proto__" (a
 * prototype-pollution guard), and receivers refuse nesting deeper than MAX_NESTING.
 * `checked` remembers the depth each object was checked at (shared objects, cycles).
 */
function checkBody(body: unknown, depth = 0, checked = new Map<object, number>()): void {
  if (typeof body !== 'object' || body === null || body instanceof Uint8Array) return;
  if ((checked.get(body) ?? -1) >= depth) return;
  checked.set(body, depth);
  if (depth >= MAX_BODY_NESTING) throw new TypeError(`a message body cannot nest arrays and objects more than ${MAX_BODY_NESTING} deep (receivers refuse it)`);
  if (Array.isArray(body)) {
    for (const item of body) checkBody(item, depth + 1, checked);
    return;
  }
  for (const key of Object.keys(body)) {
    if (key === '__proto__') throw new TypeError('a message body cannot hold the key "__proto__" (MessagePack decoders refuse it)');
    checkBody((body as Record<string, unknown>)[key], depth + 1, checked);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject === '') throw new TypeError('a message subject is a non-empty string');
  if (RESERVED_SUBJECTS.has(subject)) throw new TypeError(`"${subject}" is a subject the cluster uses itself; choose another`);
}
