import { tokenName, type ServiceToken } from '../component/ServiceToken.js';
import type { Filter } from './filter/Filter.js';
import { matchFilter } from './filter/matchFilter.js';
import {
  compareRecords,
  OBJECT_CLASS,
  SERVICE_ID,
  ServiceRecord,
  type ServiceProperties,
  type ServiceProvider,
} from './ServiceRecord.js';

export type ServiceEvent =
  | { readonly type: 'registered'; readonly record: ServiceRecord }
  | { readonly type: 'modified'; readonly record: ServiceRecord; readonly previous: ServiceProperties }
  | { readonly type: 'unregistering'; readonly record: ServiceRecord };

/** Told synchronously about every change to the services of one token. */
export interface ServiceListener {
  serviceChanged(event: ServiceEvent): void;
}

/**
 * The services known to the container, indexed by token, with listeners per token.
 * It only keeps records and tells listeners: who waits for whom is the providers' business.
 */
export class ServiceRegistry {
  private nextId = 1;
  private readonly byToken = new Map<ServiceToken, Set<ServiceRecord>>();
  private readonly listeners = new Map<ServiceToken, Set<ServiceListener>>();
  private readonly observers = new Set<(event: ServiceEvent) => void>();

  register(tokens: readonly ServiceToken[], provider: ServiceProvider, properties: ServiceProperties): ServiceRecord {
    const id = this.nextId++;
    const record = new ServiceRecord(id, tokens, this.withStandardProperties(id, tokens, properties), provider);
    for (const token of tokens) {
      let set = this.byToken.get(token);
      if (!set) this.byToken.set(token, (set = new Set()));
      set.add(record);
    }
    this.emit({ type: 'registered', record });
    return record;
  }

  setProperties(record: ServiceRecord, properties: ServiceProperties): void {
    if (!record.isRegistered()) return;
    const previous = record.properties;
    record.setProperties(this.withStandardProperties(record.id, record.tokens, properties));
    this.emit({ type: 'modified', record, previous });
  }

  /** Takes the record out of the index and tells the listeners; the provider then waits for its users. */
  unregister(record: ServiceRecord): void {
    if (!record.isRegistered()) return;
    record.status = 'unregistering';
    for (const token of record.tokens) this.byToken.get(token)?.delete(record);
    this.emit({ type: 'unregistering', record });
  }

  /** Registered services of `token` matching `filter`, best first (ranking, then age). */
  find(token: ServiceToken, filter?: Filter): ServiceRecord[] {
    const set = this.byToken.get(token);
    if (!set) return [];
    const found = filter ? [...set].filter((r) => matchFilter(filter, r.properties)) : [...set];
    return found.sort(compareRecords);
  }

  /** Every registered service. */
  all(): ServiceRecord[] {
    const unique = new Set<ServiceRecord>();
    for (const set of this.byToken.values()) for (const r of set) unique.add(r);
    return [...unique].sort((a, b) => a.id - b.id);
  }

  addListener(token: ServiceToken, listener: ServiceListener): void {
    let set = this.listeners.get(token);
    if (!set) this.listeners.set(token, (set = new Set()));
    set.add(listener);
  }

  removeListener(token: ServiceToken, listener: ServiceListener): void {
    const set = this.listeners.get(token);
    set?.delete(listener);
    if (set?.size === 0) this.listeners.delete(token);
  }

  /** Sees every event, after the listeners (for the container's event stream). */
  observe(observer: (event: ServiceEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private emit(event: ServiceEvent): void {
    for (const token of event.record.tokens) {
      const set = this.listeners.get(token);
      if (set) for (const listener of [...set]) listener.serviceChanged(event);
    }
    for (const observer of [...this.observers]) observer(event);
  }

  private withStandardProperties(id: number, tokens: readonly ServiceToken[], properties: ServiceProperties): ServiceProperties {
    return Object.freeze({ ...properties, [SERVICE_ID]: id, [OBJECT_CLASS]: tokens.map(tokenName) });
  }
}
