import { isMandatory, isMultiple, type ReferenceDescription } from '../component/ReferenceDescription.js';
import type { Filter } from '../filter/Filter.js';
import { matchFilter } from '../filter/matchFilter.js';
import { parseFilter } from '../filter/parseFilter.js';
import { SnapshotSet } from '../collections/SnapshotSet.js';
import { compareRecords, type ServiceProvider, type ServiceRecord } from './ServiceRecord.js';
import type { ServiceEvent, ServiceListener, ServiceRegistry } from './ServiceRegistry.js';

/**
 * Tracks the services one reference could bind: registered, of its token, matching its target.
 * It decides nothing; it tells its component that the set changed, and the component decides.
 */
export class ReferenceManager implements ServiceListener {
  readonly mandatory: boolean;
  readonly multiple: boolean;
  private filter: Filter | undefined;
  private readonly tracked = new SnapshotSet<ServiceRecord>();
  /** The tracked services, best first, frozen: what `candidates()` hands out until the set changes. */
  private sorted: readonly ServiceRecord[] | undefined;
  private listening = false;

  constructor(
    readonly description: ReferenceDescription,
    private readonly registry: ServiceRegistry,
    private readonly onChange: (reference: ReferenceManager) => void,
    /** The reference's own component: never bound to its own service. */
    private readonly owner?: ServiceProvider,
  ) {
    this.mandatory = isMandatory(description.cardinality);
    this.multiple = isMultiple(description.cardinality);
    this.filter = description.target === undefined ? undefined : parseFilter(description.target);
  }

  get name(): string {
    return this.description.name;
  }

  get dynamic(): boolean {
    return this.description.policy === 'dynamic';
  }

  get greedy(): boolean {
    return this.description.policyOption === 'greedy';
  }

  /** The target filter in force (the declared one, or one set by configuration). */
  get target(): string | undefined {
    return this.filter?.text;
  }

  open(): void {
    if (this.listening) return;
    this.listening = true;
    this.registry.addListener(this.description.service, this);
    this.rescan();
  }

  close(): void {
    if (!this.listening) return;
    this.listening = false;
    this.registry.removeListener(this.description.service, this);
    this.tracked.clear();
    this.sorted = undefined;
  }

  /**
   * Retargets the reference (e.g. from configuration); undefined restores the declared target.
   * @throws LatticeError FILTER_INVALID, leaving the current target in force.
   */
  setTarget(target: string | undefined): void {
    const text = target ?? this.description.target;
    if (text === this.filter?.text) return;
    this.filter = text === undefined ? undefined : parseFilter(text);
    if (this.listening) {
      this.rescan();
      this.onChange(this);
    }
  }

  serviceChanged(event: ServiceEvent): void {
    const { record } = event;
    const was = this.tracked.has(record);
    const now = event.type !== 'unregistering' && record.isRegistered() && this.matches(record);
    if (now) this.tracked.add(record);
    else this.tracked.delete(record);
    // A modified record may have a new ranking: sort again even when it stays.
    if (was || now) {
      this.sorted = undefined;
      this.onChange(this);
    }
  }

  isSatisfied(): boolean {
    return !this.mandatory || this.tracked.size > 0;
  }

  isTracked(record: ServiceRecord): boolean {
    return this.tracked.has(record);
  }

  /** Services this reference could bind, best first: a frozen array, the same one until the set changes. */
  candidates(): readonly ServiceRecord[] {
    return (this.sorted ??= this.tracked.size <= 1 ? this.tracked.snapshot() : Object.freeze(this.tracked.snapshot().slice().sort(compareRecords)));
  }

  /** Registered services of the token that the target filter turns away (for diagnostics). */
  rejected(): ServiceRecord[] {
    return this.registry.find(this.description.service).filter((r) => !this.tracked.has(r) && r.provider !== this.owner);
  }

  private rescan(): void {
    this.tracked.clear();
    for (const record of this.registry.find(this.description.service, this.filter)) if (record.provider !== this.owner) this.tracked.add(record);
    this.sorted = undefined;
  }

  private matches(record: ServiceRecord): boolean {
    return record.provider !== this.owner && (this.filter === undefined || matchFilter(this.filter, record.properties));
  }
}
