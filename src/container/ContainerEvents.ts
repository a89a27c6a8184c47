import type { Logger } from 'pino';
import { Listeners } from '../collections/Listeners.js';
import { tokenName } from '../component/ServiceToken.js';
import type { ConfigAdmin } from '../config/ConfigAdmin.js';
import { redactSecrets, secretMarksOf } from '../config/secrets.js';
import type { ComponentRuntime } from '../runtime/ComponentRuntime.js';
import type { ComponentState, DeactivationReason } from '../runtime/ComponentState.js';
import type { ServiceProperties } from '../runtime/ServiceRecord.js';

/** What the container reports: component state changes, service registry changes, configuration changes. */
export type ContainerEvent =
  | {
      readonly type: 'component';
      readonly name: string;
      readonly state: ComponentState;
      readonly previous: ComponentState;
      readonly reason?: DeactivationReason;
    }
  | {
      readonly type: 'service';
      readonly change: 'registered' | 'modified' | 'unregistering';
      readonly serviceId: number;
      readonly services: readonly string[];
      readonly component?: string;
      readonly properties: ServiceProperties;
    }
  | {
      readonly type: 'config';
      readonly pid: string;
      readonly change: 'updated' | 'deleted';
    };

/**
 * The container's events, gathered from the runtime (component states, the service registry) and the
 * configurations. An event is built only while someone listens: thousands of registrations at a start
 * are not worth the garbage. Service properties are shown with their secrets masked.
 */
export class ContainerEvents {
  private readonly listeners: Listeners<[ContainerEvent]>;

  constructor(runtime: ComponentRuntime, config: ConfigAdmin, logger: Logger) {
    this.listeners = new Listeners((error) => {
      logger.error({ err: error }, 'a container event listener threw');
    });
    runtime.onStateChange((change) => {
      if (this.listeners.size > 0) this.listeners.emit({ type: 'component', ...change });
    });
    config.observe((pid, entry) => {
      if (this.listeners.size > 0) this.listeners.emit({ type: 'config', pid, change: entry === undefined ? 'deleted' : 'updated' });
    });
    runtime.registry.observe((event) => {
      if (this.listeners.size === 0) return;
      const { record } = event;
      this.listeners.emit({
        type: 'service',
        change: event.type,
        serviceId: record.id,
        services: record.tokens.map(tokenName),
        ...(record.provider.componentName !== undefined && { component: record.provider.componentName }),
        properties: redactSecrets(record.properties, secretMarksOf(record.provider.propertySchema)),
      });
    });
  }

  /** Listens to every event; returns the function that stops listening. */
  on(listener: (event: ContainerEvent) => void): () => void {
    return this.listeners.add(listener);
  }
}
