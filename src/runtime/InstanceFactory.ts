import { getClassMetadata, type ClassMetadata } from '@inversifyjs/core';
import { Container as InversifyContainer, type BindingIdentifier, type Newable, type ServiceIdentifier } from 'inversify';
import type { ComponentDescription } from '../component/ComponentDescription.js';
import { isSharedInjectionId } from '../component/decorators/Reference.js';
import type { ReferenceDescription } from '../component/ReferenceDescription.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { MaybePromise } from './MaybePromise.js';

/** Builds one component's instances; `dispose` removes its bindings. */
export interface ComponentBuilder {
  /** A new instance: at once when the class needs nothing but its references (see buildsAtOnce). */
  create(): MaybePromise<object>;
  dispose(): void;
}

/** The component being built right now, and where its chosen services come from. */
interface Building {
  readonly description: ComponentDescription;
  readonly valueOf: (reference: ReferenceDescription) => unknown;
}

/**
 * Builds component instances with inversify, in one container shared by the runtime (a child of the
 * user's own container, if given, so constructors can inject its bindings too).
 *
 * Per component it binds the class. A constructor-parameter reference is injected under the id of its
 * parameter index, shared by every component (see `@Reference`): one dynamic value per index, bound
 * once, answers for the component being built. Inversify asks for constructor arguments synchronously
 * within `get`/`getAsync`, so `create` marks the component as the one being built only for that call; a
 * value asked for at any other time is an error. A component class that another injects with
 * `@inject(Class)` is built inside the other's build, as the one being built (see bindNested), so its
 * parameters never answer with the outer component's services. Sharing the ids lets inversify share
 * their plans too: no binding and no plan nodes per reference.
 *
 * A plain `@inject(TOKEN)` of a token the component references is bound to the same value, but only
 * for that class (`whenParentIs`). One container with a binding per component, rather than a child
 * container per component: the benchmark measured 17 KiB and 37 µs per child container.
 */
export class InstanceFactory {
  private readonly container: InversifyContainer;
  /** The shared parameter ids bound so far (once each, never unbound). */
  private readonly sharedIds = new Set<symbol>();
  private building: Building | undefined;
  /** The builder of each component class. */
  private readonly builders = new Map<unknown, Builder>();
  /** Every id a component class injects: a component class among them is built inside another's build. */
  private readonly injected = new Set<unknown>();
  /**
   * Component classes that another component class injects with inversify's `@inject(Class)` (see
   * bindNested).
   */
  private readonly nested = new Set<unknown>();

  constructor(parent?: InversifyContainer) {
    this.container = new InversifyContainer(parent ? { parent } : {});
  }

  /** @throws LatticeError COMPONENT_INVALID when inversify cannot build the class. */
  add(description: ComponentDescription, valueOf: (reference: ReferenceDescription) => unknown): ComponentBuilder {
    const implementation = description.implementation as Newable<object>;
    const ids: BindingIdentifier[] = [];
    let atOnce: boolean;
    let injected: unknown[];
    try {
      // inversify checks the class's metadata here too (a constructor parameter it cannot fill, say).
      const metadata = getClassMetadata(implementation);
      injected = injectedIds(metadata);
      const byToken = referencesInjectedByToken(description, injected);
      atOnce = buildsAtOnce(description, metadata, byToken);
      ids.push(this.container.bind(implementation).toSelf().getIdentifier());
      for (const ref of description.references) {
        if (ref.parameterIndex === undefined) continue;
        const id = ref.injectionId;
        if (!isSharedInjectionId(id)) {
          // An id of its own (a description made by an older copy of this package): a binding of its own.
          ids.push(this.container.bind(id).toDynamicValue(() => valueOf(ref)).getIdentifier());
        } else if (!this.sharedIds.has(id)) {
          this.container.bind(id).toDynamicValue(() => this.parameter(id));
          this.sharedIds.add(id);
        }
      }
      for (const ref of byToken) {
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
    // The class, and whatever else (rare) in an array of its own: `push` leaves an array room for 16.
    const builder = new Builder(this, description, valueOf, atOnce, ids[0] as BindingIdentifier, ids.length === 1 ? undefined : ids.slice(1));
    this.builders.set(implementation, builder);
    for (const value of injected) {
      this.injected.add(value);
      const inner = this.builders.get(value);
      if (inner) this.bindNested(inner);
    }
    if (this.injected.has(implementation)) this.bindNested(builder);
    return builder;
  }

  /**
   * A component class that another injects with `@inject(Class)` is built inside the other's build:
   * its class id then answers with a build of its own (marked as the one being built, so its parameters
   * answer with its references), and the class itself is bound under an id of its own.
   */
  private bindNested(builder: Builder): void {
    const implementation = builder.description.implementation as Newable<object>;
    if (this.nested.has(implementation)) return;
    this.nested.add(implementation);
    this.container.unbind(builder.classId);
    const own = Symbol(`lattice.component-class:${builder.description.name}`);
    builder.rebind(own, this.container.bind(own).to(implementation).getIdentifier());
    builder.own(this.container.bind(implementation).toDynamicValue(() => builder.create()).getIdentifier());
  }

  /** @internal Forgets a component class (Builder.dispose). */
  forget(builder: Builder): void {
    const implementation = builder.description.implementation;
    if (this.builders.get(implementation) !== builder) return;
    this.builders.delete(implementation);
    this.nested.delete(implementation);
  }

  /** @internal Builds an instance of the component (Builder.create): `id` is its class's (see bindNested). */
  build(description: ComponentDescription, valueOf: Building['valueOf'], id: ServiceIdentifier<object>, atOnce: boolean): MaybePromise<object> {
    const outer = this.building;
    this.building = { description, valueOf };
    try {
      return atOnce ? this.container.get(id) : this.container.getAsync(id);
    } finally {
      this.building = outer;
    }
  }

  /** @internal Removes bindings (Builder.dispose). */
  unbind(ids: readonly BindingIdentifier[]): void {
    for (const id of ids) this.container.unbind(id);
  }

  /** The value of the constructor parameter injected under `id`, for the component being built. */
  private parameter(id: symbol): unknown {
    const building = this.building;
    const ref = building?.description.references.find((r) => r.injectionId === id);
    if (!building || !ref) {
      throw new LatticeError(
        ErrorCode.COMPONENT_INVALID,
        `inversify asked for ${String(id)} ${building ? `while building ${building.description.name}, which has no @Reference on that constructor parameter` : 'outside of building a component'}.`,
        building ? { component: building.description.name } : {},
      );
    }
    return building.valueOf(ref);
  }
}

/** One component's builder: an object, not two closures per component. */
class Builder implements ComponentBuilder {
  constructor(
    private readonly factory: InstanceFactory,
    readonly description: ComponentDescription,
    readonly valueOf: Building['valueOf'],
    private readonly atOnce: boolean,
    /** The binding of its class. */
    public classId: BindingIdentifier,
    /** Bindings of this component besides its class's. */
    private extraIds: BindingIdentifier[] | undefined,
  ) {}

  /** What inversify is asked for: the class, or the id of its own when another component injects it. */
  private id: ServiceIdentifier<object> | undefined;

  create(): MaybePromise<object> {
    return this.factory.build(this.description, this.valueOf, this.id ?? (this.description.implementation), this.atOnce);
  }

  /** The class is now built under `id` (see InstanceFactory.bindNested). */
  rebind(id: ServiceIdentifier<object>, classId: BindingIdentifier): void {
    this.id = id;
    this.classId = classId;
  }

  /** One more binding to remove with the component's. */
  own(id: BindingIdentifier): void {
    (this.extraIds ??= []).push(id);
  }

  dispose(): void {
    this.factory.forget(this);
    this.factory.unbind([this.classId, ...(this.extraIds ?? [])]);
  }
}

/** What a class injects (constructor parameters and properties), by id. */
function injectedIds(metadata: ClassMetadata): unknown[] {
  const ids: unknown[] = [];
  for (const element of [...metadata.constructorArguments, ...metadata.properties.values()]) if ('value' in element) ids.push(element.value);
  return ids;
}

/** References whose token the class injects directly with inversify's `@inject(TOKEN)` (once only: a token referenced twice is ambiguous). */
function referencesInjectedByToken(description: ComponentDescription, injected: readonly unknown[]): ReferenceDescription[] {
  return description.references.filter((ref) => injected.includes(ref.service) && description.references.filter((r) => r.service === ref.service).length === 1);
}

/**
 * True when inversify can build the class without a wait, so `get` rather than `getAsync`: it injects
 * nothing but its references (whose values are there at once) and has no @postConstruct (which may
 * return a promise). A class that injects anything else, from the user's container say, is built with
 * `getAsync`, which waits for whatever is asynchronous.
 */
function buildsAtOnce(description: ComponentDescription, metadata: ClassMetadata, byToken: readonly ReferenceDescription[]): boolean {
  if (metadata.lifecycle.postConstructMethodNames.size > 0) return false;
  const references = new Set<unknown>(byToken.map((ref) => ref.service));
  for (const ref of description.references) if (ref.parameterIndex !== undefined) references.add(ref.injectionId);
  for (const element of [...metadata.constructorArguments, ...metadata.properties.values()]) {
    if (!('value' in element) || !references.has(element.value)) return false;
  }
  return true;
}
