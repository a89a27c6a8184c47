import type { ComponentDescription } from '../../component/ComponentDescription.js';
import type { ConfigurationValues } from '../../config/ConfigurationEntry.js';
import { checkConfiguration } from '../ConfigurationIntake.js';
import { ComponentManager, type FactoryView, type ManagerOptions } from '../ComponentManager.js';
import type { ComponentBuilder } from '../InstanceFactory.js';
import type { FactoryHost } from './FactoryHost.js';

/**
 * A component that makes components: its template is a component of its own (shown, enabled, disabled
 * and removed as any), whose instance is the factory; each instance it makes is a component too, named
 * after the template. Removing or disabling the template disposes its instances.
 */
export abstract class FactoryTemplate implements FactoryView {
  abstract readonly kind: 'configuration' | 'component';
  readonly template: ComponentManager;
  /** The instances it made, by component name. */
  protected readonly instances = new Map<string, ComponentManager>();

  constructor(
    /** The component as declared: what instances are made of. */
    protected readonly declared: ComponentDescription,
    protected readonly host: FactoryHost,
    templateDescription: ComponentDescription,
    readonly id: string,
  ) {
    const builder: ComponentBuilder = { create: () => this, dispose: () => undefined };
    this.template = new ComponentManager(templateDescription, host, { builder, factoryRole: { role: 'template', factory: this } });
  }

  get name(): string {
    return this.declared.name;
  }

  instanceNames(): string[] {
    return [...this.instances.keys()];
  }

  /** The template or one of the instances changed state (nothing to do, unless a kind of factory says so). */
  componentStateChanged(_component: ComponentManager): void {}

  /** What a new instance would refuse in `values` as its configuration: its schema, its target keys. */
  async configurationProblems(values: ConfigurationValues): Promise<string[]> {
    return [...(await checkConfiguration(this.declared, values)).problems];
  }

  /** @throws LatticeError COMPONENT_NAME_DUPLICATE, COMPONENT_INVALID */
  protected addInstance(description: ComponentDescription, options: Omit<ManagerOptions, 'factoryRole'> = {}): ComponentManager {
    const manager = this.host.addComponent(description, { ...options, factoryRole: { role: 'instance', factory: this } });
    this.instances.set(description.name, manager);
    return manager;
  }

  /** Deactivates an instance and removes its component; resolves when it is gone. */
  protected disposeInstance(name: string): Promise<void> {
    if (!this.instances.delete(name)) return Promise.resolve();
    return this.host.remove(name);
  }

  protected async disposeAll(): Promise<void> {
    await Promise.all(this.instanceNames().map((name) => this.disposeInstance(name)));
  }
}
