import type { ComponentDescription } from '../../component/ComponentDescription.js';
import { ComponentManager, type FactoryView, type ManagerOptions } from '../ComponentManager.js';
import type { ComponentBuilder } from '../InstanceFactory.js';
import { ErrorCode } from '../../errors/ErrorCode.js';
import { LatticeError } from '../../errors/LatticeError.js';
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
  /** Instances being removed, until they are gone. */
  private readonly leaving = new Map<string, Promise<void>>();

  constructor(
    /** The component as declared: what instances are made of. */
    protected readonly declared: ComponentDescription,
    protected readonly host: FactoryHost,
    templateDescription: ComponentDescription,
    readonly id: string,
  ) {
    // Its instances are built by inversify: a class it cannot build is refused now, at registration.
    host.instances.check(declared);
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


  /** @throws LatticeError COMPONENT_NAME_DUPLICATE, COMPONENT_INVALID */
  protected addInstance(description: ComponentDescription, options: Omit<ManagerOptions, 'factoryRole'> = {}): ComponentManager {
    const manager = this.host.addComponent(description, { ...options, factoryRole: { role: 'instance', factory: this } });
    this.instances.set(description.name, manager);
    return manager;
  }

  /** The runtime removed one of its instances (the factory did, or someone by hand): it is no longer one. */
  forget(component: ComponentManager): void {
    if (this.instances.get(component.name) === component) this.instances.delete(component.name);
  }

  /** Deactivates an instance and removes its component; resolves when it is gone (a removal under way included). */
  protected disposeInstance(name: string): Promise<void> {
    const pending = this.leaving.get(name);
    if (pending) return pending;
    if (!this.instances.delete(name)) return Promise.resolve();
    const done = this.host
      .remove(name)
      .catch((error: unknown) => {
        // Removed by hand meanwhile: gone all the same.
        if (!LatticeError.is(error, ErrorCode.COMPONENT_NOT_FOUND)) throw error;
      })
      .finally(() => this.leaving.delete(name));
    this.leaving.set(name, done);
    return done;
  }

  protected async disposeAll(): Promise<void> {
    await Promise.all(this.instanceNames().map((name) => this.disposeInstance(name)));
  }
}
