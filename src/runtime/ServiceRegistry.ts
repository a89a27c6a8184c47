import { tokenName, type ServiceToken } from '../component/ServiceToken.js';
import type { Filter } from '../filter/Filter.js';
import { matchFilter } from '../filter/matchFilter.js';
import { SnapshotSet } from '../collections/SnapshotSet.js';
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
  private readonly byToken = new Map<ServiceToken, SnapshotSet<ServiceRecord>>();
  /** An event goes to the listeners there were when it began (a snapshot, made again only after a change). */
  private readonly listeners = new Map<ServiceToken, SnapshotSet<ServiceListener>>();
  private observers: readonly ((event: ServiceEvent) => void)[] = [];

  register(tokens: readonly ServiceToken[], provider: ServiceProvider, properties: ServiceProperties): ServiceRecord {
    const id = this.nextId++;
    const record = new ServiceRecord(id, tokens, this.withStandardProperties(id, tokens, properties), provider);
    for (const token of tokens) {
      let set = this.byToken.get(token);
      if (!set) this.byToken.set(token, (set = new SnapshotSet()));
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
    for (const token of record.tokens) {
      const set = this.byToken.get(token);
      if (set?.delete(record) && set.size === 0) this.byToken.delete(token);
    }
    this.emit({ type: 'unregistering', record });
  }

  /** Registered services of `token` matching `filter`, best first (ranking, then age). */
  find(token: ServiceToken, filter?: Filter): ServiceRecord[] {
    const records = this.byToken.get(token)?.snapshot();
    if (!records) return [];
    const found = filter ? records.filter((r) => matchFilter(filter, r.properties)) : records.slice();
    return found.sort(compareRecords);
  }

  /** Every registered service. */
  all(): ServiceRecord[] {
    const unique = new Set<ServiceRecord>();
    for (const set of this.byToken.values()) for (const r of set.snapshot()) unique.add(r);
    return [...unique].sort((a, b) => a.id - b.id);
  }

  addListener(token: ServiceToken, listener: ServiceListener): void {
    let set = this.listeners.get(token);
    if (!set) this.listeners.set(token, (set = new SnapshotSet()));
    set.add(listener);
  }

  removeListener(token: ServiceToken, listener: ServiceListener): void {
    const set = this.listeners.get(token);
    if (set?.delete(listener) && set.size === 0) this.listeners.delete(token);
  }

  /** Sees every event, after the listeners (for the container's event stream). */
  observe(observer: (event: ServiceEvent) => void): () => void {
    if (!this.observers.includes(observer)) this.observers = [...this.observers, observer];
    return () => {
      const had = this.observers.includes(observer);
      this.observers = this.observers.filter((o) => o !== observer);
      return had;
    };
  }

  private emit(event: ServiceEvent): void {
    for (const token of event.record.tokens) {
      const set = this.listeners.get(token);
      if (set) for (const listener of set.snapshot()) listener.serviceChanged(event);
    }
    for (const observer of this.observers) observer(event);
  }

  private withStandardProperties(id: number, tokens: readonly ServiceToken[], properties: ServiceProperties): ServiceProperties {
    const copy = copyOwn(properties);
    copy[SERVICE_ID] = id;
    copy[OBJECT_CLASS] = objectClassOf(tokens);
    return Object.freeze(copy);
  }
}

/**
 * `{ ...properties }`, built key by key: objects built alike then share one hidden class. (V8 gives the
 * spread of an object from `Object.fromEntries` a hidden class of its own, over 200 bytes per service.)
 */
function copyOwn(properties: ServiceProperties): Record<string | symbol, unknown> {
  const copy: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(properties)) {
    if (!Object.prototype.propertyIsEnumerable.call(properties, key)) continue;
    const value = (properties as Record<string | symbol, unknown>)[key];
    // Assigning "__proto__" would set the prototype; the spread defines an own property.
    if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    else copy[key] = value;
  }
  return copy;
}

/** The `objectClass` of each list of tokens, made once and shared (frozen) by every record and version of its properties. */
const objectClasses = new WeakMap<readonly ServiceToken[], readonly string[]>();

function objectClassOf(tokens: readonly ServiceToken[]): readonly string[] {
  let names = objectClasses.get(tokens);
  if (!names) objectClasses.set(tokens, (names = Object.freeze(tokens.map(tokenName))));
  return names;
}
