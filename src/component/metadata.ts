import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { ComponentDeclaration } from './ComponentDescription.js';
import type { ReferenceDescription } from './ReferenceDescription.js';

// Global symbols: every copy of this package (a module deployed with its own node_modules, say)
// reads and writes the same metadata.
const COMPONENT = Symbol.for('lattice.component');
const REFERENCES = Symbol.for('lattice.references');
const LIFECYCLE = Symbol.for('lattice.lifecycle');

/** Lifecycle method names, as `@Activate`, `@Deactivate`, `@Modified` and `@CheckConfiguration` record them. */
export interface LifecycleMethods {
  activate?: string;
  deactivate?: string;
  modified?: string;
  checkConfiguration?: string;
}

type Holder = Record<symbol, unknown>;

function own<T>(holder: object, key: symbol): T | undefined {
  return Object.hasOwn(holder, key) ? ((holder as Holder)[key] as T) : undefined;
}

function define(holder: object, key: symbol, value: unknown): void {
  Object.defineProperty(holder, key, { value, configurable: true, enumerable: false, writable: true });
}

/** References declared on this very object (a prototype for fields, a class for constructor parameters). */
export function ownReferences(holder: object): ReferenceDescription[] {
  let list = own<ReferenceDescription[]>(holder, REFERENCES);
  if (!list) {
    list = [];
    define(holder, REFERENCES, list);
  }
  return list;
}

/** References declared on this very object, without creating the list. */
export function declaredReferences(holder: object): readonly ReferenceDescription[] {
  return own<ReferenceDescription[]>(holder, REFERENCES) ?? [];
}

/** Field references of a prototype and its ancestors, nearest class first. */
export function inheritedFieldReferences(prototype: object): ReferenceDescription[] {
  const found: ReferenceDescription[] = [];
  for (let p: object | null = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    found.push(...declaredReferences(p));
  }
  return found;
}

export function ownLifecycle(prototype: object): LifecycleMethods {
  let methods = own<LifecycleMethods>(prototype, LIFECYCLE);
  if (!methods) {
    methods = {};
    define(prototype, LIFECYCLE, methods);
  }
  return methods;
}

/** Lifecycle methods of a prototype and its ancestors; the nearest declaration wins. */
export function inheritedLifecycle(prototype: object): LifecycleMethods {
  const chain: object[] = [];
  for (let p: object | null = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) chain.push(p);
  const merged: LifecycleMethods = {};
  for (const p of chain.reverse()) Object.assign(merged, own<LifecycleMethods>(p, LIFECYCLE));
  return merged;
}

export function setComponentDeclaration(target: object, declaration: ComponentDeclaration): void {
  define(target, COMPONENT, declaration);
}

/** What `@Component` recorded on this class (not inherited), if anything. */
export function findComponentDeclaration(target: unknown): ComponentDeclaration | undefined {
  if (typeof target !== 'function') return undefined;
  return own<ComponentDeclaration>(target, COMPONENT);
}

/** @throws LatticeError COMPONENT_DECORATOR_MISSING when the class has no `@Component`. */
export function getComponentDeclaration(target: unknown): ComponentDeclaration {
  const declaration = findComponentDeclaration(target);
  if (declaration) return declaration;
  const what = typeof target === 'function' ? `class ${target.name || '(anonymous)'}` : `a ${typeof target} value`;
  throw new LatticeError(
    ErrorCode.COMPONENT_DECORATOR_MISSING,
    `Cannot register ${what}: it has no @Component decorator. Add @Component() to the class (or call Component()(TheClass) in plain JavaScript).`,
    { component: typeof target === 'function' ? target.name : undefined },
  );
}
