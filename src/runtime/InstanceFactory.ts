import { getClassMetadata } from '@inversifyjs/core';
import { Container as InversifyContainer, type BindingIdentifier, type Newable } from 'inversify';
import type { ComponentDescription } from '../component/ComponentDescription.js';
import type { ReferenceDescription } from '../component/ReferenceDescription.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';

/** Builds one component's instances; `dispose` removes its bindings. */
export interface ComponentBuilder {
  create(): Promise<object>;
  dispose(): void;
}

/**
 * Builds component instances with inversify, in one container shared by the runtime (a child of the
 * user's own container, if given, so constructors can inject its bindings too).
 *
 * Per component it binds the class, and a dynamic value per constructor-parameter reference under that
 * reference's own id, reading the services chosen for the activation in progress. A plain
 * `@inject(TOKEN)` of a token the component references is bound to the same value, but only for that
 * class (`whenParentIs`). One container with a few bindings per component, rather than a child container
 * per component: the benchmark measured 17 KiB and 37 µs per child container, against under 4 KiB here.
 */
export class InstanceFactory {
  private readonly container: InversifyContainer;

  constructor(parent?: InversifyContainer) {
    this.container = new InversifyContainer(parent ? { parent } : {});
  }

  /** @throws LatticeError COMPONENT_INVALID when inversify cannot build the class. */
  add(description: ComponentDescription, valueOf: (reference: ReferenceDescription) => unknown): ComponentBuilder {
    const implementation = description.implementation as Newable<object>;
    const ids: BindingIdentifier[] = [];
    try {
      ids.push(this.container.bind(implementation).toSelf().getIdentifier());
      for (const ref of description.references) {
        if (ref.parameterIndex !== undefined) ids.push(this.container.bind(ref.injectionId).toDynamicValue(() => valueOf(ref)).getIdentifier());
      }
      for (const ref of this.referencesInjectedByToken(description, implementation)) {
        ids.push(this.container.bind(ref.service).toDynamicValue(() => valueOf(ref)).whenParentIs(implementation).getIdentifier());
      }
    } catch (error) {
      for (const id of ids) this.container.unbind(id);
      throw new LatticeError(
        ErrorCode.COMPONENT_INVALID,
        `Component ${description.name}: inversify cannot build ${implementation.name}: ${(error as Error).message}\n` +
          'Put @Reference({ service: TOKEN }) (or inversify’s @inject(TOKEN)) on every constructor parameter.',
        { component: description.name },
        { cause: error },
      );
    }
    return {
      create: () => this.container.getAsync(implementation),
      dispose: () => {
        for (const id of ids) this.container.unbind(id);
      },
    };
  }

  /** References whose token the class injects directly with inversify's `@inject(TOKEN)`. */
  private referencesInjectedByToken(description: ComponentDescription, implementation: Newable<object>): ReferenceDescription[] {
    const metadata = getClassMetadata(implementation);
    const injected = new Set<unknown>();
    for (const element of [...metadata.constructorArguments, ...metadata.properties.values()]) {
      if ('value' in element) injected.add(element.value);
    }
    return description.references.filter(
      (ref) => injected.has(ref.service) && description.references.filter((r) => r.service === ref.service).length === 1,
    );
  }
}
