import { Container as InversifyContainer } from 'inversify';
import type { ComponentDescription } from '../component/ComponentDescription.js';
import type { ReferenceDescription } from '../component/ReferenceDescription.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';

/**
 * Builds a component's instances with inversify. One child container per component (made once, at
 * registration, so constructor-metadata errors show up then): each reference is bound to a dynamic value
 * reading the services chosen for the activation in progress, under the reference's own id and, when no
 * other reference of the component uses the same token, under the service token itself, so both
 * `@Reference` constructor parameters and plain `@inject(TOKEN)` work. See bench/ for what this costs.
 */
export class ComponentInjector {
  private readonly container: InversifyContainer;

  constructor(
    parent: InversifyContainer,
    private readonly description: ComponentDescription,
    valueOf: (reference: ReferenceDescription) => unknown,
  ) {
    this.container = new InversifyContainer({ parent });
    const tokenUse = new Map<symbol, number>();
    for (const ref of description.references) tokenUse.set(ref.service, (tokenUse.get(ref.service) ?? 0) + 1);
    for (const ref of description.references) {
      this.container.bind(ref.injectionId).toDynamicValue(() => valueOf(ref));
      if (tokenUse.get(ref.service) === 1) this.container.bind(ref.service).toDynamicValue(() => valueOf(ref));
    }
    try {
      this.container.bind(description.implementation).toSelf();
    } catch (error) {
      throw new LatticeError(
        ErrorCode.COMPONENT_INVALID,
        `Component ${description.name}: inversify cannot build ${description.implementation.name}: ${(error as Error).message}\n` +
          'Put @Reference({ service: TOKEN }) (or inversify’s @inject(TOKEN)) on every constructor parameter.',
        { component: description.name },
        { cause: error },
      );
    }
  }

  /** A new instance, with the chosen services injected into its constructor. */
  async create(): Promise<object> {
    return this.container.getAsync<object>(this.description.implementation);
  }
}
