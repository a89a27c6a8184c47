import { inject } from 'inversify';
import { ErrorCode } from '../../errors/ErrorCode.js';
import { LatticeError } from '../../errors/LatticeError.js';
import { parseFilter } from '../../filter/parseFilter.js';
import { ownReferences } from '../metadata.js';
import type { Cardinality, ReferenceDescription, ReferencePolicy, ReferencePolicyOption } from '../ReferenceDescription.js';
import { isServiceToken, type ServiceToken } from '../ServiceToken.js';

/** Options of `@Reference`. Defaults as in OSGi Declarative Services: `1..1`, `static`, `reluctant`. */
export interface ReferenceOptions<T = unknown> {
  /** The service interface, made by `serviceToken`. */
  service: ServiceToken<T>;
  /** Defaults to the field name (`constructor[i]` for a constructor parameter). */
  name?: string;
  cardinality?: Cardinality;
  policy?: ReferencePolicy;
  policyOption?: ReferencePolicyOption;
  /** LDAP-style filter on the service's properties, e.g. `(&(role=primary)(zone=eu*))`. */
  target?: string;
  /** Name of a method called with `(service, properties)` when a service is bound. */
  bind?: string;
  /** Name of a method called with `(service, properties)` when a service is unbound. */
  unbind?: string;
  /** Name of a method called with `(service, properties)` when a bound service's properties change. */
  updated?: string;
}

const CARDINALITIES: readonly Cardinality[] = ['0..1', '1..1', '0..n', '1..n'];
const POLICIES: readonly ReferencePolicy[] = ['static', 'dynamic'];
const POLICY_OPTIONS: readonly ReferencePolicyOption[] = ['reluctant', 'greedy'];

/**
 * Declares a dependency on a service. On a field, the field holds the bound service (an array of
 * services for `0..n`/`1..n`, `undefined` while an optional reference is empty). On a constructor
 * parameter, the service is injected by inversify when the instance is built.
 */
export function Reference<T>(options: ReferenceOptions<T>): PropertyDecorator & ParameterDecorator {
  return (target: object, key: string | symbol | undefined, parameterIndex?: number): void => {
    const isParameter = typeof parameterIndex === 'number';
    const className = typeof target === 'function' ? target.name : target.constructor.name;
    if (!isParameter && typeof target === 'function') {
      fail(`${className}.${String(key)}`, 'is a static field; @Reference works on instance fields and constructor parameters');
    }
    if (typeof key === 'symbol') fail(`${className}[${String(key)}]`, 'has a symbol name; use a field with a string name');
    if (isParameter && key != null) fail(`${className}.${key}`, 'is a method parameter; @Reference works on constructor parameters only');
    const defaultName = isParameter ? `constructor[${parameterIndex}]` : (key as string);
    const where = `${className}.${defaultName}`;
    const description = describeReference(options, defaultName, where, isParameter ? { parameterIndex } : { field: defaultName });
    const list = ownReferences(target);
    if (list.some((r) => r.name === description.name)) fail(where, `declares the reference name "${description.name}" twice; give one a different name`);
    list.push(description);
    if (isParameter) inject(description.injectionId)(target, undefined, parameterIndex);
  };
}

function describeReference(
  options: ReferenceOptions,
  defaultName: string,
  where: string,
  injection: { field: string } | { parameterIndex: number },
): ReferenceDescription {
  if (typeof (options as unknown) !== 'object' || (options as unknown) === null) fail(where, 'needs options, e.g. @Reference({ service: HostAdminService })');
  if (!isServiceToken(options.service)) {
    fail(where, 'has no service token: pass { service: TOKEN } where TOKEN = serviceToken<YourService>("YourService")');
  }
  const name = options.name ?? defaultName;
  const cardinality = options.cardinality ?? '1..1';
  const policy = options.policy ?? 'static';
  const policyOption = options.policyOption ?? 'reluctant';
  if (!CARDINALITIES.includes(cardinality)) fail(where, `has cardinality "${cardinality}"; use one of ${CARDINALITIES.join(', ')}`);
  if (!POLICIES.includes(policy)) fail(where, `has policy "${policy}"; use "static" or "dynamic"`);
  if (!POLICY_OPTIONS.includes(policyOption)) fail(where, `has policyOption "${policyOption}"; use "reluctant" or "greedy"`);
  if (options.target !== undefined) {
    try {
      parseFilter(options.target);
    } catch (error) {
      throw new LatticeError(ErrorCode.FILTER_INVALID, `@Reference ${where}: ${(error as Error).message}`, {
        member: where,
        filter: options.target,
      });
    }
  }
  for (const method of ['bind', 'unbind', 'updated'] as const) {
    const value: unknown = options[method];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      fail(where, `has ${method}: ${JSON.stringify(value)}; give the name of a method of the class, e.g. ${method}: "${method}Service"`);
    }
  }
  return {
    name,
    service: options.service,
    cardinality,
    policy,
    policyOption,
    ...(options.target !== undefined && { target: options.target }),
    ...(options.bind !== undefined && { bind: options.bind }),
    ...(options.unbind !== undefined && { unbind: options.unbind }),
    ...(options.updated !== undefined && { updated: options.updated }),
    ...injection,
    injectionId: 'parameterIndex' in injection ? parameterInjectionId(injection.parameterIndex) : FIELD_INJECTION_ID,
  };
}

// Global symbols, one per parameter index, shared by every component (and every copy of this package):
// the instance factory answers each for the component it is building, with one inversify binding.
const PARAMETER_PREFIX = 'lattice.parameter:';
/** Fields are set by the runtime, not inversify: one id, never bound, for all of them. */
const FIELD_INJECTION_ID = Symbol.for('lattice.field');

/** The id inversify injects constructor parameter `index` of a component under. */
export function parameterInjectionId(index: number): symbol {
  return Symbol.for(PARAMETER_PREFIX + String(index));
}

/** True for an id made by `parameterInjectionId`: bound once for all components, not per reference. */
export function isSharedInjectionId(id: symbol): boolean {
  return Symbol.keyFor(id)?.startsWith(PARAMETER_PREFIX) ?? false;
}

function fail(where: string, problem: string): never {
  throw new LatticeError(ErrorCode.REFERENCE_INVALID, `@Reference ${where} ${problem}.`, { member: where });
}
