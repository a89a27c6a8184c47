import type { ComponentClass } from './ComponentDescription.js';
import { findComponentDeclaration } from './metadata.js';

/** The `@Component` classes among a module's exports (each once, in export order). */
export function componentClassesOf(moduleExports: object): ComponentClass[] {
  const found = new Set<ComponentClass>();
  for (const value of Object.values(moduleExports as Record<string, unknown>)) {
    if (findComponentDeclaration(value) !== undefined) found.add(value as ComponentClass);
  }
  return [...found];
}
