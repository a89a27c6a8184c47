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
    }),
  );
  // Report what the members declared so far get wrong now, at the decorator; register reads them again.
  getComponentDescription(target);
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
