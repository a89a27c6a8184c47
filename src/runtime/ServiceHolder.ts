import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { isComponentNode, type ComponentNode } from './ComponentNode.js';
import type { MaybePromise } from './MaybePromise.js';
import type { ReferenceManager } from './ReferenceManager.js';
import type { ServiceProperties, ServiceRecord } from './ServiceRecord.js';
import { CANCELLED, type WaitGraph, type WaitStrength } from './WaitGraph.js';

/** A service bound to a reference of an instance. */
export interface BoundService {
  readonly record: ServiceRecord;
  readonly service: unknown;
  /** The properties the instance last saw (bind or updated). */
  properties: ServiceProperties;
}

/** What an acquisition got, and why it got no more (the last refusal), if it did not. */
export interface Acquisition {
  readonly bound: BoundService[];
  readonly reason?: string;
}

/** Services bound to an instance (or chosen for one), by reference. */
export type Bindings = Map<ReferenceManager, BoundService[]>;

type Acquired = { ok: true; service: unknown } | { ok: false; reason: string };

/**
 * The services one component holds: getting them from their providers (waiting through the wait graph,
 * so that no wait closes a circle), counting and releasing them, remembering what could not be had until
 * an input changes, and the providers it will bind late. Collections are made when first needed: most
 * components of a big graph never need most of them.
 */
export class ServiceHolder {
  /** The services held, once per hold (a component holds a few: an array costs less than a Map). */
  private held: ServiceRecord[] | undefined;
  private releaseWaiters: Map<ServiceRecord, (() => void)[]> | undefined;
  /** Services that could not be had at the last attempt, by reference; not retried until an input changes. */
  private unavailable: Map<ReferenceManager, Set<ServiceRecord>> | undefined;
  /** The providers this component skipped because they were still activating (see ComponentNode.bindLate). */
  private lateProviders: Set<ComponentNode> | undefined;
  private epochValue = 0;

  constructor(
    private readonly owner: ComponentNode,
    private readonly waits: WaitGraph<ComponentNode>,
    /** Told when a provider bound late is ready: an input of the owner changed. */
    private readonly lateProviderReady: () => void,
  ) {}

  /** Bumped by every change of input; a failure seen under an older epoch may be stale, so it is not remembered. */
  get epoch(): number {
    return this.epochValue;
  }

  /** An input changed (a service came or went, a command): everything is worth another try. */
  inputChanged(): void {
    this.epochValue++;
    this.unavailable = undefined;
  }

  /** Per reference: a wait one reference gave way on (an optional one, say) says nothing about another that needs it. */
  isUnavailable(ref: ReferenceManager, record: ServiceRecord): boolean {
    return this.unavailable?.get(ref)?.has(record) ?? false;
  }

  heldRecords(): Iterable<ServiceRecord> {
    return new Set(this.held);
  }

  holds(record: ServiceRecord): boolean {
    return this.held?.includes(record) ?? false;
  }

  /** Resolves once `record` is no longer held (the owner decides how it lets go). */
  whenReleased(record: ServiceRecord): Promise<void> {
    if (!this.holds(record)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiters = (this.releaseWaiters ??= new Map<ServiceRecord, (() => void)[]>());
      const list = waiters.get(record);
      if (list) list.push(resolve);
      else waiters.set(record, [resolve]);
    });
  }

  /**
   * Gets services for a reference from `candidates`, best first: one for a single reference, all for a
   * multiple one. Done at once when every provider serves at once; a promise from the first wait on.
   */
  acquireFor(ref: ReferenceManager, candidates: readonly ServiceRecord[], epoch: number, alreadyBound = 0): MaybePromise<Acquisition> {
    const acquisition: { bound: BoundService[]; reason?: string } = { bound: [] };
    for (let i = 0; i < candidates.length; i++) {
      const record = candidates[i] as ServiceRecord;
      if (!ref.multiple && acquisition.bound.length > 0) break;
      if (this.isUnavailable(ref, record)) continue;
      const got = this.acquireAtOnce(record);
      if (!got) return this.acquireFrom(ref, candidates, i, epoch, alreadyBound, acquisition);
      acquisition.bound.push({ record, service: got.service, properties: record.properties });
    }
    return acquisition;
  }

  /** acquireFor, from candidate `start` on, waiting where it must. */
  private async acquireFrom(
    ref: ReferenceManager,
    candidates: readonly ServiceRecord[],
    start: number,
    epoch: number,
    alreadyBound: number,
    acquisition: { bound: BoundService[]; reason?: string },
  ): Promise<Acquisition> {
    const { bound } = acquisition;
    for (let i = start; i < candidates.length; i++) {
      const record = candidates[i] as ServiceRecord;
      if (!ref.multiple && bound.length > 0) break;
      if (this.isUnavailable(ref, record)) continue;
      const got = this.acquireAtOnce(record) ?? (await this.acquire(record, this.strengthFor(ref, candidates, i, bound.length + alreadyBound)));
      if (got.ok) bound.push({ record, service: got.service, properties: record.properties });
      else {
        acquisition.reason = got.reason;
        // A record that went away is forgotten anyway; a failure under changed inputs may be stale.
        if (record.isRegistered() && this.epochValue === epoch) this.markUnavailable(ref, record);
      }
    }
    return acquisition;
  }

  /**
   * How firmly to wait (see WaitStrength): an optional reference, or one that holds a service already
   * (a multiple one that got one, a dynamic one rebinding), gives way; a single mandatory reference with
   * another candidate to fall back on gives way before the waits of those that have none.
   */
  private strengthFor(ref: ReferenceManager, candidates: readonly ServiceRecord[], index: number, holding: number): WaitStrength {
    if (!ref.mandatory || holding > 0) return 'breakable';
    if (ref.multiple) return 'mandatory';
    for (let k = index + 1; k < candidates.length; k++) {
      const other = candidates[k] as ServiceRecord;
      if (other.isRegistered() && !this.isUnavailable(ref, other)) return 'fallback';
    }
    return 'mandatory';
  }

  /** From an active provider, the service without waiting (most acquisitions); undefined when it needs a wait. */
  private acquireAtOnce(record: ServiceRecord): { ok: true; service: unknown } | undefined {
    const provider = record.provider;
    if (!isComponentNode(provider) || !provider.servesAtOnce(record)) return undefined;
    const service = provider.serveAtOnce(record, this.owner);
    this.hold(record);
    return { ok: true, service };
  }

  private hold(record: ServiceRecord): void {
    // concat: a pushed array keeps spare room as long as it lives.
    this.held = this.held ? this.held.concat([record]) : [record];
  }

  private async acquire(record: ServiceRecord, strength: WaitStrength): Promise<Acquired> {
    if (!record.isRegistered()) return { ok: false, reason: `service ${record.id} is going away` };
    const provider = record.provider;
    // An active provider hands its service over at once: there is no wait, so none to refuse.
    const waitsFor = isComponentNode(provider) && !provider.servesAtOnce(record) ? provider : undefined;
    const pending = provider.getService(record, this.owner);
    let service: unknown;
    let refused: Error | undefined;
    try {
      service = waitsFor ? await this.waits.wait(this.owner, waitsFor, strength, pending) : await pending;
    } catch (error) {
      refused = error instanceof Error ? error : new Error(String(error));
    }
    if (waitsFor && (service === CANCELLED || LatticeError.is(refused, ErrorCode.REFERENCE_CYCLE))) {
      // The wait would have closed a cycle: bind it once the provider is active.
      this.ungetWhenSettled(record, pending);
      if (waitsFor.servesAtOnce(record)) this.providerReady(waitsFor);
      else {
        waitsFor.bindLate(this.owner);
        (this.lateProviders ??= new Set()).add(waitsFor);
      }
      return { ok: false, reason: refused?.message ?? `${waitsFor.name} is still activating and waits for ${this.owner.name}; bound late` };
    }
    if (refused) {
      this.ungetWhenSettled(record, pending);
      return { ok: false, reason: refused.message };
    }
    if (service === undefined) {
      const who = provider.componentName === undefined ? `service ${record.id}` : `component ${provider.componentName}`;
      return { ok: false, reason: `${who} could not provide it (it is going away or failed to activate)` };
    }
    if (!record.isRegistered()) {
      provider.ungetService(record, this.owner);
      return { ok: false, reason: `service ${record.id} went away while activating` };
    }
    this.hold(record);
    return { ok: true, service };
  }

  /** A provider skipped because it was still activating is active now. */
  providerReady(provider: ComponentNode): void {
    this.lateProviders?.delete(provider);
    this.lateProviderReady();
  }

  /** The owner goes away: the providers it waited on need not tell it. */
  forgetLateProviders(): void {
    for (const provider of this.lateProviders ?? []) provider.forgetLate(this.owner);
    this.lateProviders = undefined;
  }

  release(bound: BoundService): void {
    const { record } = bound;
    record.provider.ungetService(record, this.owner);
    const held = this.held ?? [];
    const index = held.indexOf(record);
    if (index >= 0) held.splice(index, 1);
    if (held.includes(record)) return;
    const waiters = this.releaseWaiters?.get(record);
    if (!waiters) return;
    this.releaseWaiters?.delete(record);
    for (const resolve of waiters) resolve();
  }

  releaseAll(bindings: Bindings): void {
    for (const list of bindings.values()) for (const bound of list) this.release(bound);
    bindings.clear();
  }

  private markUnavailable(ref: ReferenceManager, record: ServiceRecord): void {
    const byRef = (this.unavailable ??= new Map<ReferenceManager, Set<ServiceRecord>>());
    const set = byRef.get(ref);
    if (set) set.add(record);
    else byRef.set(ref, new Set([record]));
  }

  /** A wait given up on may still deliver the service: hand it back then. */
  private ungetWhenSettled(record: ServiceRecord, pending: Promise<unknown>): void {
    void pending.then((service) => {
      if (service !== undefined) record.provider.ungetService(record, this.owner);
    });
  }
}
