import { COMPONENT_FACTORY, ComponentFactoryService, type ComponentFactory, type ComponentInstance } from '../../component/ComponentFactory.js';
import type { ComponentDescription } from '../../component/ComponentDescription.js';
import type { ReferenceDescription } from '../../component/ReferenceDescription.js';
import type { ConfigurationValues } from '../../config/ConfigurationEntry.js';
import type { StandardSchemaV1 } from '../../config/StandardSchema.js';
import { ErrorCode } from '../../errors/ErrorCode.js';
import { LatticeError } from '../../errors/LatticeError.js';
import type { ComponentManager } from '../ComponentManager.js';
import type { FactoryHost } from './FactoryHost.js';
import { FactoryTemplate } from './FactoryTemplate.js';

/**
 * A component factory, as in OSGi DS: the template registers a `ComponentFactoryService` (property
 * `component.factory`) while its references are satisfied, and `newInstance(properties)` makes an
 * instance `<template>#<n>`, activated at once. An instance is never reactivated: whatever would
 * deactivate it (a mandatory reference gone, a static one changed, its configuration changed without
 * `@Modified`) disposes it, so the object its handle holds is the only one. Disabling or removing the
 * template, or stopping the container, disposes every instance; the template merely losing a reference
 * takes its service away and leaves the instances be.
 */
export class ComponentFactoryTemplate extends FactoryTemplate implements ComponentFactory {
  readonly kind = 'component';
  private made = 0;

  constructor(declared: ComponentDescription, host: FactoryHost) {
    const factory = declared.factory as string;
    super(
      declared,
      host,
      Object.freeze({
        ...declared,
        services: [ComponentFactoryService],
        properties: Object.freeze({ ...declared.properties, [COMPONENT_FACTORY]: factory }),
        immediate: true,
        references: Object.freeze(declared.references.map(satisfactionOnly)),
        // Its configuration is only part of an instance's (newInstance's properties go over it): not checked
        // alone, but its secrets are still known.
        ...(declared.configSchema && { configSchema: marksOnly(declared.configSchema) }),
        activate: undefined,
        deactivate: undefined,
        // Its configuration changing only changes its service's properties: the instances read it themselves.
        modified: 'modified',
        checkConfiguration: undefined,
      }),
      factory,
    );
  }

  override componentStateChanged(component: ComponentManager): void {
    if (component === this.template) {
      if (component.state === 'disabled') void this.disposeAll();
    } else if (component.state === 'deactivating') {
      void this.disposeInstance(component.name);
    }
  }

  get factory(): string {
    return this.id;
  }

  /** The template's @Modified: nothing to do (see the constructor). */
  modified(): void {}

  async newInstance(properties: Record<string, unknown> = {}): Promise<ComponentInstance> {
    if (this.template.state !== 'active') {
      throw new LatticeError(ErrorCode.FACTORY_INACTIVE, `Component factory ${this.id} is ${this.template.state}, so it makes no instances. ${this.host.explain(this.template).join(' ')}`.trim(), {
        component: this.name,
      });
    }
    // Plain JavaScript callers may pass anything.
    if (typeof (properties as unknown) !== 'object' || (properties as unknown) === null || Array.isArray(properties)) {
      throw new LatticeError(ErrorCode.CONFIG_INVALID, `newInstance of component factory ${this.id}: the properties must be an object of name → value.`, { component: this.name });
    }
    const name = `${this.name}#${++this.made}`;
    const manager = this.addInstance(Object.freeze({ ...this.declared, name, immediate: true, factory: undefined }), { configOverlay: plainCopy(this.id, properties) });
    await manager.requestReconcile();
    const live = manager.currentInstance;
    if (manager.state !== 'active' || !live) {
      const why = manager.failure?.message ?? manager.configProblem ?? this.host.explain(manager).join(' ');
      await this.disposeInstance(name);
      throw new LatticeError(ErrorCode.FACTORY_INSTANCE_FAILED, `Component factory ${this.id} could not activate ${name}: ${why}`, { component: name });
    }
    return new FactoryInstance(name, live.object, this);
  }

  /** @internal FactoryInstance.disposed */
  holds(name: string): boolean {
    return this.instances.has(name);
  }

  /** @internal FactoryInstance.dispose */
  dispose(name: string): Promise<void> {
    return this.disposeInstance(name);
  }
}

/** The handle `newInstance` gives. */
class FactoryInstance implements ComponentInstance {
  constructor(
    readonly name: string,
    readonly instance: unknown,
    private readonly factory: ComponentFactoryTemplate,
  ) {}

  get disposed(): boolean {
    return !this.factory.holds(this.name);
  }

  dispose(): Promise<void> {
    return this.factory.dispose(this.name);
  }
}

/**
 * A reference of the template: it only decides whether the factory is satisfied, so it binds nothing
 * into anything, and follows its services dynamically (a change of provider leaves the factory be).
 */
function satisfactionOnly(ref: ReferenceDescription): ReferenceDescription {
  return Object.freeze({
    name: ref.name,
    service: ref.service,
    cardinality: ref.cardinality,
    policy: 'dynamic',
    policyOption: 'reluctant',
    ...(ref.target !== undefined && { target: ref.target }),
    injectionId: ref.injectionId,
  });
}

/** A schema that takes any values as they are, and marks secrets as `schema` does (see secretMarksOf). */
function marksOnly(schema: StandardSchemaV1): StandardSchemaV1 {
  const standard = schema['~standard'] as StandardSchemaV1['~standard'] & { jsonSchema?: unknown };
  return { '~standard': { version: 1, vendor: 'lattice', validate: (value) => ({ value }), ...(standard.jsonSchema !== undefined && { jsonSchema: standard.jsonSchema }) } };
}

/** `properties` as plain data, copied (they become configuration and service properties). @throws LatticeError CONFIG_INVALID */
function plainCopy(factory: string, properties: Record<string, unknown>): ConfigurationValues {
  try {
    return JSON.parse(JSON.stringify(properties)) as ConfigurationValues;
  } catch (error) {
    throw new LatticeError(ErrorCode.CONFIG_INVALID, `newInstance of component factory ${factory}: the properties must be plain data (JSON values): ${(error as Error).message}.`, {});
  }
}
