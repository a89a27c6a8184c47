import { ErrorCode } from '../../errors/ErrorCode.js';
import { LatticeError } from '../../errors/LatticeError.js';
import { isStandardSchema, type StandardSchemaV1 } from '../../config/StandardSchema.js';
import type { ComponentClass, ConfigurationPolicy } from '../ComponentDescription.js';
import { getComponentDescription } from '../describeComponentClass.js';
import { setComponentDeclaration } from '../metadata.js';
import { isServiceToken, type ServiceToken } from '../ServiceToken.js';

/** Options of `@Component`. */
export interface ComponentOptions {
  /** Unique name in the container; defaults to the class name. */
  name?: string;
  /** Service interface(s) the component's instance is registered under. */
  service?: ServiceToken | readonly ServiceToken[];
  /**
   * Activate as soon as satisfied. Default: true without a service; false with one (a delayed
   * component, activated on first use of its service).
   */
  immediate?: boolean;
  /** Start enabled (default) or wait for `enable(name)`. */
  enabled?: boolean;
  /** Component properties; service properties too (`service.ranking` orders providers). */
  properties?: Record<string, unknown>;
  /** Configuration this component reads; defaults to its name. */
  configurationPid?: string;
  /** `optional` (default): with or without configuration; `require`: only with; `ignore`: never. */
  configurationPolicy?: ConfigurationPolicy;
  /**
   * Validates the configuration before delivery: any Standard Schema (a zod 4 schema, for one). Its
   * output (defaults filled in, values coerced) is what the component gets as `context.config`.
   */
  configSchema?: StandardSchemaV1;
  /** Overrides the container's activation timeout (constructor + activate) for this component. */
  activationTimeoutMs?: number;
  /**
   * Makes the component a template for factory configurations: each configuration `<factoryPid>~<name>`
   * (file `config/<factoryPid>~<name>.json`) makes an instance named `<factoryPid>~<name>`, with that
   * configuration (required), its own properties and its own service registration.
   */
  factoryPid?: string;
  /**
   * Makes the component a component factory: a `ComponentFactoryService` service with property
   * `component.factory` = this name, whose `newInstance(properties)` makes instances on demand.
   */
  factory?: string;
}

const POLICIES: readonly ConfigurationPolicy[] = ['optional', 'require', 'ignore'];

/**
 * Declares a class as a component. Use as `@Component({...})`, `@Component()` or `@Component`;
 * in plain JavaScript, `Component({...})(TheClass)`.
 */
export function Component(options?: ComponentOptions): (target: ComponentClass) => void;
export function Component(target: ComponentClass): void;
export function Component(arg?: ComponentOptions | ComponentClass): ((target: ComponentClass) => void) | undefined {
  if (typeof arg === 'function') {
    declareComponent(arg, {});
    return undefined;
  }
  return (target: ComponentClass) => {
    declareComponent(target, arg ?? {});
  };
}

function declareComponent(target: ComponentClass, options: ComponentOptions): void {
  const className = target.name || '(anonymous class)';
  if (typeof (options as unknown) !== 'object' || (options as unknown) === null) fail(className, 'options must be an object, e.g. @Component({ service: MyService })');
  const name = options.name ?? target.name;
  if (typeof name !== 'string' || name.trim() === '') {
    fail(className, 'has no name; give the class a name or pass { name: "my-component" }');
  }
  const services = toServiceList(className, options.service);
  const immediate = options.immediate ?? services.length === 0;
  if (!immediate && services.length === 0) {
    fail(className, 'is { immediate: false } but provides no service, so nothing could ever activate it; provide a service or drop immediate');
  }
  const properties = options.properties ?? {};
  if (typeof properties !== 'object' || Array.isArray(properties)) fail(className, 'properties must be an object of name → value');
  const configurationPolicy = options.configurationPolicy ?? 'optional';
  if (!POLICIES.includes(configurationPolicy)) {
    fail(className, `has configurationPolicy "${configurationPolicy}"; use "optional", "require" or "ignore"`);
  }
  if (options.configSchema !== undefined && !isStandardSchema(options.configSchema)) {
    fail(className, 'has a configSchema that is not a Standard Schema; pass a zod schema such as z.object({ port: z.number() })');
  }
  checkFactoryOptions(className, options);
  const timeout = options.activationTimeoutMs;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) fail(className, 'activationTimeoutMs must be a positive number');

  setComponentDeclaration(
    target,
    Object.freeze({
      name,
      implementation: target,
      services,
      immediate,
      enabled: options.enabled ?? true,
      properties: Object.freeze({ ...properties }),
      configurationPid: options.configurationPid ?? name,
      configurationPolicy,
      ...(options.configSchema !== undefined && { configSchema: options.configSchema }),
      ...(timeout !== undefined && { activationTimeoutMs: timeout }),
      ...(options.factoryPid !== undefined && { factoryPid: options.factoryPid }),
      ...(options.factory !== undefined && { factory: options.factory }),
    }),
  );
  // Report what the members declared so far get wrong now, at the decorator; register reads them again.
  getComponentDescription(target);
}

/** A factory PID names files (`config/<factoryPid>~<name>.json`); a factory name is matched by filters. */
const FACTORY_PID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

function checkFactoryOptions(className: string, options: ComponentOptions): void {
  const { factoryPid, factory } = options;
  if (factoryPid !== undefined && factory !== undefined) fail(className, 'has both factoryPid and factory; a component is made by configurations or by a ComponentFactory, not both');
  if (factoryPid !== undefined) {
    if (typeof factoryPid !== 'string' || !FACTORY_PID.test(factoryPid)) {
      fail(className, `has factoryPid ${JSON.stringify(factoryPid)}; use 1 to 100 letters, digits, ".", "_" and "-", not starting with "." or "-" (instances are config/<factoryPid>~<name>.json)`);
    }
    if (options.configurationPolicy === 'ignore') fail(className, 'has a factoryPid and configurationPolicy "ignore"; each instance is made by its configuration, so drop the policy');
    if (options.configurationPid !== undefined) fail(className, 'has both factoryPid and configurationPid; each instance reads its own configuration, <factoryPid>~<name>, so drop configurationPid');
  }
  if (factory !== undefined && (typeof factory !== 'string' || factory.trim() === '')) fail(className, 'has a factory name that is not a non-empty string, e.g. @Component({ factory: "device" })');
}

function toServiceList(className: string, service: ComponentOptions['service']): ServiceToken[] {
  if (service === undefined) return [];
  const list = Array.isArray(service) ? [...(service as readonly unknown[])] : [service];
  for (const token of list) {
    if (!isServiceToken(token)) {
      fail(className, `has service ${String(token)}, which is not a service token; make one with serviceToken<MyService>("MyService")`);
    }
  }
  return [...new Set(list as ServiceToken[])];
}

function fail(className: string, problem: string): never {
  throw new LatticeError(ErrorCode.COMPONENT_INVALID, `@Component on ${className} ${problem}.`, { component: className });
}
