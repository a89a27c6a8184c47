import type { ComponentDescription } from '../../component/ComponentDescription.js';
import type { ComponentHost } from '../ComponentHost.js';
import type { ComponentManager, ManagerOptions } from '../ComponentManager.js';

/** What a factory needs from the runtime: to add and remove its instances, and to follow their states. */
export interface FactoryHost extends ComponentHost {
  readonly started: boolean;
  /**
   * Makes and adds a component (it starts at once if the runtime has started).
   * @throws LatticeError COMPONENT_NAME_DUPLICATE, COMPONENT_INVALID
   */
  addComponent(description: ComponentDescription, options: ManagerOptions): ComponentManager;
  remove(...names: string[]): Promise<void>;
  /** Why a component is not active, in sentences (see explainComponent). */
  explain(manager: ComponentManager): string[];
}
