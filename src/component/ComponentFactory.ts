import { serviceToken } from './ServiceToken.js';

/**
 * What a component factory (`@Component({ factory: 'name' })`) provides: instances of its component on
 * demand, as OSGi DS's ComponentFactory does.
 */
export interface ComponentFactory<T = unknown> {
  /** The factory's name (`@Component({ factory })`), also its service property `component.factory`. */
  readonly factory: string;
  /**
   * Makes an instance with `properties` over the component's own (and its configuration's), activates it
   * and resolves with its handle once it is active.
   * @throws LatticeError FACTORY_INACTIVE when the factory is no longer active; FACTORY_INSTANCE_FAILED
   *   when the instance could not activate (its references unsatisfied, its activate threw...), saying why.
   */
  newInstance(properties?: Record<string, unknown>): Promise<ComponentInstance<T>>;
}

/** An instance a component factory made: a component named `<template>#<n>` until it is disposed. */
export interface ComponentInstance<T = unknown> {
  /** Its component name, e.g. `device#3`. */
  readonly name: string;
  /** The activated object. It is never replaced: an instance that would be deactivated is disposed instead. */
  readonly instance: T;
  /** Disposed: by `dispose()`, or by the container (see the README's Factory components). */
  readonly disposed: boolean;
  /** Deactivates the instance and removes its component; resolves when it is gone. */
  dispose(): Promise<void>;
}

/** The service a component factory registers; pick one with the target `(component.factory=name)`. */
export const ComponentFactoryService = serviceToken<ComponentFactory>('lattice.ComponentFactory');

/** The service property that names a component factory. */
export const COMPONENT_FACTORY = 'component.factory';
