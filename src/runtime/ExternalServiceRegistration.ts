import { isComponentNode, type ComponentNode } from './ComponentNode.js';
import type { ServiceProperties, ServiceProvider, ServiceRecord, ServiceUser } from './ServiceRecord.js';
import type { ServiceRegistry } from './ServiceRegistry.js';
import { UseCounter } from './UseCounter.js';

/** A service registered from outside the container's components (`container.registerService`). */
export interface ServiceRegistration<T = unknown> {
  readonly id: number;
  readonly service: T;
  readonly properties: ServiceProperties;
  /** Replaces the properties; resolves once the components holding the service have reacted. */
  setProperties(properties: Record<string, unknown>): Promise<void>;
  /** Takes the service away; resolves once every component holding it has let go. */
  unregister(): Promise<void>;
}

/** Provides a ready-made object, and knows which components hold it. */
export class ExternalServiceRegistration<T> implements ServiceRegistration<T>, ServiceProvider {
  readonly componentName = undefined;
  private readonly users = new UseCounter();
  private readonly record: ServiceRecord;

  constructor(
    private readonly registry: ServiceRegistry,
    tokens: readonly symbol[],
    readonly service: T,
    properties: Record<string, unknown>,
    /** Told before each change (see ComponentRuntime.outsideChange). */
    private readonly changing: () => void = () => undefined,
  ) {
    changing();
    this.record = registry.register(tokens, this, properties);
  }

  get id(): number {
    return this.record.id;
  }

  get properties(): ServiceProperties {
    return this.record.properties;
  }

  getService(record: ServiceRecord, user: ServiceUser): Promise<unknown> {
    if (!record.isRegistered()) return Promise.resolve(undefined);
    this.users.add(user);
    return Promise.resolve(this.service);
  }

  ungetService(_record: ServiceRecord, user: ServiceUser): void {
    this.users.remove(user);
  }

  async setProperties(properties: Record<string, unknown>): Promise<void> {
    this.changing();
    this.registry.setProperties(this.record, properties);
    await Promise.all(this.componentUsers().map((m) => m.requestReconcile()));
  }

  async unregister(): Promise<void> {
    if (!this.record.isRegistered()) return;
    const users = this.users.users();
    this.users.clear();
    this.changing();
    this.registry.unregister(this.record);
    await Promise.all(users.map((u) => u.whenReleased?.(this.record) ?? Promise.resolve()));
    this.record.status = 'unregistered';
  }

  private componentUsers(): ComponentNode[] {
    return this.users.users().filter(isComponentNode);
  }
}
