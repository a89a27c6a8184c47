import type { StandardSchemaV1 } from '../config/StandardSchema.js';
import type { ServiceToken } from './ServiceToken.js';
import type { ReferenceDescription } from './ReferenceDescription.js';

/** How a component treats its configuration (see ConfigAdmin). */
export type ConfigurationPolicy = 'optional' | 'require' | 'ignore';

/** A class that components are made from. */
// Constructor arguments are injected by inversify, so their types are unknown here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any: constructors of arbitrary arity
export type ComponentClass<T extends object = object> = abstract new (...args: any[]) => T;

/** Everything the runtime needs to know about a component, read from its decorators. */
export interface ComponentDescription {
  readonly name: string;
  readonly implementation: ComponentClass;
  /** Service interfaces the component provides; empty for a component that only consumes. */
  readonly services: readonly ServiceToken[];
  /** Activate as soon as satisfied (true for components without services); otherwise on first use. */
  readonly immediate: boolean;
  /** Initially enabled (the default), or waiting for `enable(name)`. */
  readonly enabled: boolean;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly configurationPid: string;
  readonly configurationPolicy: ConfigurationPolicy;
  /** Validates (and may default or coerce) the configuration before it is delivered. */
  readonly configSchema?: StandardSchemaV1;
  readonly references: readonly ReferenceDescription[];
  /** Names of the lifecycle methods, if the class has them. */
  readonly activate?: string;
  readonly deactivate?: string;
  readonly modified?: string;
  readonly checkConfiguration?: string;
  /** Overrides the container's activation timeout for this component. */
  readonly activationTimeoutMs?: number;
  /**
   * A factory configuration's PID: the component is a template, and each configuration `<factoryPid>~<name>`
   * (file `config/<factoryPid>~<name>.json`) makes an instance of its own named after it.
   */
  readonly factoryPid?: string;
  /** A component factory's name: the component is a template, and a `ComponentFactory` service makes its instances. */
  readonly factory?: string;
}

/**
 * What `@Component` itself records: the options, checked. The references and lifecycle methods are read
 * from the class's members when it is registered, so the order decorators are applied in does not matter.
 */
export type ComponentDeclaration = Omit<ComponentDescription, 'references' | 'activate' | 'deactivate' | 'modified' | 'checkConfiguration'>;
