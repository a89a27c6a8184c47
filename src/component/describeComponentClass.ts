import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { ComponentDescription } from './ComponentDescription.js';
import { declaredReferences, getComponentDeclaration, inheritedFieldReferences, inheritedLifecycle } from './metadata.js';
import type { ReferenceDescription } from './ReferenceDescription.js';

/**
 * The full description of a component class: what `@Component` declared, with the references and
 * lifecycle methods its members carry now. Read when the class is registered (not when `@Component`
 * ran), so in plain JavaScript the decorators may be applied in any order.
 * @throws LatticeError COMPONENT_DECORATOR_MISSING, REFERENCE_INVALID, COMPONENT_INVALID
 */
export function getComponentDescription(target: unknown): ComponentDescription {
  const declaration = getComponentDeclaration(target);
  const implementation = declaration.implementation;
  const className = implementation.name || '(anonymous class)';
  const prototype = implementation.prototype as object;
  // Parameter decorators run last parameter first: put constructor references back in order.
  const parameters = [...declaredReferences(implementation)].sort((a, b) => (a.parameterIndex ?? 0) - (b.parameterIndex ?? 0));
  const references = [...parameters, ...inheritedFieldReferences(prototype)];
  checkReferences(className, prototype, references);
  return Object.freeze({ ...declaration, references: Object.freeze(references), ...inheritedLifecycle(prototype) });
}

function checkReferences(className: string, prototype: object, references: readonly ReferenceDescription[]): void {
  const seen = new Set<string>();
  for (const ref of references) {
    if (seen.has(ref.name)) {
      throw new LatticeError(ErrorCode.COMPONENT_INVALID, `@Component on ${className} has two references named "${ref.name}"; give one a different name.`, {
        component: className,
      });
    }
    seen.add(ref.name);
    for (const kind of ['bind', 'unbind', 'updated'] as const) {
      const method = ref[kind];
      if (method !== undefined && typeof (prototype as Record<string, unknown>)[method] !== 'function') {
        throw new LatticeError(
          ErrorCode.REFERENCE_INVALID,
          `@Reference ${className}.${ref.name} names ${kind} method "${method}", but ${className} has no such method. Add it or fix the name.`,
          { component: className, member: ref.name },
        );
      }
    }
  }
}
