import type { Logger } from 'pino';
import type { ComponentCode } from './ComponentCode.js';
import type { MaybePromise } from './MaybePromise.js';
import type { ReferenceManager } from './ReferenceManager.js';
import type { BoundService, Bindings, ServiceHolder } from './ServiceHolder.js';
import { compareRecords, type ServiceRecord } from './ServiceRecord.js';

/** A live instance's object and what it is bound to. */
export interface BoundInstance {
  readonly object: object;
  readonly bindings: Bindings;
}

/**
 * What following the references did to a live instance: nothing to do (`same`), rebound or updated it
 * (`changed`), or it cannot go on: a static reference changed (`rebuild`), a mandatory dynamic reference
 * has nothing left it could get (`unsatisfied`, with why).
 */
export type BindingUpdate = { readonly kind: 'same' | 'changed' | 'rebuild' } | { readonly kind: 'unsatisfied'; readonly blocked: string };

const SAME: BindingUpdate = { kind: 'same' };
const CHANGED: BindingUpdate = { kind: 'changed' };
const REBUILD: BindingUpdate = { kind: 'rebuild' };

/**
 * Binds one component's instances to services: fills the reference fields, calls bind/unbind/updated
 * (logging what they throw: the rest goes on), and makes a live instance follow its references: dynamic
 * ones are rebound in place, a change to a static one calls for a new instance.
 */
export class InstanceBinding {
  /** Services being unbound on the spot (see unbindGone). */
  private unbinding: Set<ServiceRecord> | undefined;

  constructor(
    private readonly name: string,
    private readonly references: readonly ReferenceManager[],
    private readonly holder: ServiceHolder,
    private readonly code: ComponentCode,
    private readonly logger: () => Logger,
    /** True when the component providing `record` uses this component's service or could (see needsNewInstance). */
    private readonly usesOwner: (record: ServiceRecord) => boolean,
  ) {}

  /** Fills the fields of a new instance and calls its bind methods, in reference order (done at once without any). */
  bindAll(object: object, bindings: Bindings): MaybePromise<void> {
    for (const ref of this.references) this.setField(object, ref, bindings.get(ref) ?? []);
    if (this.references.some((ref) => ref.description.bind !== undefined)) return this.callBindMethods(object, bindings);
  }

  private async callBindMethods(object: object, bindings: Bindings): Promise<void> {
    for (const ref of this.references) {
      if (ref.description.bind === undefined) continue;
      for (const bound of bindings.get(ref) ?? []) await this.callReferenceMethod(object, ref, 'bind', bound);
    }
  }

  /** Calls unbind methods in reverse order and empties the fields, so a dead instance holds no service (at once without unbind methods). */
  unbindAll(object: object, bindings: Bindings): MaybePromise<void> {
    if (this.references.some((ref) => ref.description.unbind !== undefined)) return this.callUnbindMethods(object, bindings);
    for (const ref of this.references) this.setField(object, ref, []);
  }

  private async callUnbindMethods(object: object, bindings: Bindings): Promise<void> {
    for (let r = this.references.length - 1; r >= 0; r--) {
      const ref = this.references[r] as ReferenceManager;
      const list = bindings.get(ref) ?? [];
      if (ref.description.unbind !== undefined) {
        for (let b = list.length - 1; b >= 0; b--) await this.callReferenceMethod(object, ref, 'unbind', list[b] as BoundService);
      }
      this.setField(object, ref, []);
    }
  }

  /** Applies reference changes to the live instance (without a wait when there are none: the common case). */
  update(instance: BoundInstance): BindingUpdate | Promise<BindingUpdate> {
    let work = false;
    for (const ref of this.references) {
      const bound = instance.bindings.get(ref) ?? [];
      if (!ref.dynamic && this.needsNewInstance(ref, bound)) return REBUILD;
      if ((ref.dynamic && this.mayRebind(ref, bound)) || bound.some((b) => b.properties !== b.record.properties)) work = true;
    }
    return work ? this.apply(instance) : SAME;
  }

  /** True when a dynamic reference has something to rebind: a bound service it lost, or one it could add or prefer. */
  private mayRebind(ref: ReferenceManager, bound: readonly BoundService[]): boolean {
    if (bound.some((b) => !ref.isTracked(b.record))) return true;
    const candidates = ref.candidates();
    if (ref.multiple || bound.length === 0) return candidates.length > bound.length;
    return ref.greedy && candidates[0] !== bound[0]?.record;
  }

  private async apply(instance: BoundInstance): Promise<BindingUpdate> {
    let result = SAME;
    for (const ref of this.references) {
      if (ref.dynamic) {
        const rebound = await this.rebindDynamic(instance, ref);
        if (rebound.kind === 'unsatisfied') return rebound;
        if (rebound.kind === 'changed') result = CHANGED;
      }
      await this.deliverUpdates(instance, ref);
    }
    return result;
  }

  /** True when a static reference's change calls for a new instance. */
  needsNewInstance(ref: ReferenceManager, bound: readonly BoundService[]): boolean {
    if (bound.some((b) => !ref.isTracked(b.record))) return true;
    if (!ref.greedy) return false;
    // A new instance takes our service away first: never do that to bind the service of a component
    // that uses ours or could (it would go too, or change, and the cycle would never settle). What is
    // bound stays bound whoever provides it; only a strictly better service is worth a new instance.
    const current = bound[0]?.record;
    return ref
      .candidates()
      .some(
        (r) =>
          !this.holder.isUnavailable(ref, r) &&
          (ref.multiple ? !bound.some((b) => b.record === r) : current === undefined || compareRecords(r, current) < 0) &&
          !this.usesOwner(r),
      );
  }

  /** True while `record` is being unbound on the spot (see unbindGone). */
  isUnbinding(record: ServiceRecord): boolean {
    return this.unbinding?.has(record) ?? false;
  }

  /** Unbinds a service that goes away from the dynamic references (only) of an instance that is deactivating. */
  async unbindGone(instance: BoundInstance, record: ServiceRecord): Promise<void> {
    for (const [ref, list] of instance.bindings) {
      // Static references keep what they hold until deactivate has run.
      if (!ref.dynamic) continue;
      const gone = list.filter((b) => b.record === record);
      if (gone.length === 0) continue;
      const kept = list.filter((b) => b.record !== record);
      instance.bindings.set(ref, kept);
      this.setField(instance.object, ref, kept);
      const unbinding = (this.unbinding ??= new Set());
      unbinding.add(record);
      try {
        for (const bound of gone) {
          await this.callReferenceMethod(instance.object, ref, 'unbind', bound);
          this.holder.release(bound);
        }
      } finally {
        unbinding.delete(record);
      }
    }
  }

  /** Dynamic reference: binds the new service before unbinding the old, on the same instance. */
  private async rebindDynamic(instance: BoundInstance, ref: ReferenceManager): Promise<BindingUpdate> {
    const bound = instance.bindings.get(ref) ?? [];
    const kept = bound.filter((b) => ref.isTracked(b.record));
    const lost = bound.filter((b) => !ref.isTracked(b.record));
    const candidates = ref.candidates().filter((r) => !kept.some((b) => b.record === r));
    let wanted: ServiceRecord[];
    if (ref.multiple) wanted = candidates;
    else {
      const current = kept[0];
      if (!current) wanted = candidates;
      else if (ref.greedy) wanted = candidates.filter((r) => compareRecords(r, current.record) < 0);
      else wanted = [];
    }
    wanted = wanted.filter((r) => !this.holder.isUnavailable(ref, r));
    if (wanted.length === 0 && lost.length === 0) return SAME;

    const epoch = this.holder.epoch;
    const { bound: added, reason } = await this.holder.acquireFor(ref, wanted, epoch, kept.length);
    const replaced = !ref.multiple && added.length > 0 ? kept : [];
    const next = [...kept.filter((b) => !replaced.includes(b)), ...added].sort((a, b) => compareRecords(a.record, b.record));
    if (added.length === 0 && lost.length === 0) return SAME;
    if (ref.mandatory && next.length === 0) {
      // No service could be had: a mandatory reference must not stay empty under a live instance. Inputs
      // that changed meanwhile deserve another look first.
      if (this.holder.epoch !== epoch) return CHANGED;
      return { kind: 'unsatisfied', blocked: `reference "${ref.name}": ${reason ?? 'no service could be had'}` };
    }
    instance.bindings.set(ref, next);
    for (const b of added) await this.callReferenceMethod(instance.object, ref, 'bind', b);
    this.setField(instance.object, ref, next);
    for (const b of [...replaced, ...lost]) {
      await this.callReferenceMethod(instance.object, ref, 'unbind', b);
      this.holder.release(b);
    }
    return CHANGED;
  }

  /**
   * Calls `updated` for bound services whose properties changed and still match. A dynamic multiple
   * reference is first put back in order (a ranking may have changed): best first, always.
   */
  private async deliverUpdates(instance: BoundInstance, ref: ReferenceManager): Promise<void> {
    const list = instance.bindings.get(ref);
    if (!list?.some((b) => b.properties !== b.record.properties && ref.isTracked(b.record))) return;
    const changed = list.filter((b) => b.properties !== b.record.properties && ref.isTracked(b.record));
    for (const bound of changed) bound.properties = bound.record.properties;
    if (ref.dynamic && ref.multiple) {
      const sorted = [...list].sort((a, b) => compareRecords(a.record, b.record));
      if (sorted.some((b, i) => b !== list[i])) {
        instance.bindings.set(ref, sorted);
        this.setField(instance.object, ref, sorted);
      }
    }
    for (const bound of changed) await this.callReferenceMethod(instance.object, ref, 'updated', bound);
  }

  private setField(object: object, ref: ReferenceManager, bound: readonly BoundService[]): void {
    const field = ref.description.field;
    if (field === undefined) return;
    (object as Record<string, unknown>)[field] = ref.multiple ? bound.map((b) => b.service) : bound[0]?.service;
  }

  /** Calls a bind/unbind/updated method; what it throws is logged and does not stop the others. */
  private async callReferenceMethod(object: object, ref: ReferenceManager, kind: 'bind' | 'unbind' | 'updated', bound: BoundService): Promise<void> {
    const method = ref.description[kind];
    try {
      await this.code.call(kind, object, method, () => [bound.service, bound.properties]);
    } catch (error) {
      this.logger().error({ err: error, reference: ref.name, serviceId: bound.record.id }, `${kind} method ${method ?? ''}() of ${this.name} threw: ${(error as Error).message}`);
    }
  }
}
