import { ErrorCode } from '../../errors/ErrorCode.js';
import { LatticeError } from '../../errors/LatticeError.js';
import { ownLifecycle, type LifecycleMethods } from '../metadata.js';

type LifecycleDecorator = (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => void;

/** A decorator usable both bare (`@Activate`) and called (`@Activate()`). */
export interface LifecycleMarker {
  (): LifecycleDecorator;
  (target: object, key: string | symbol, descriptor?: PropertyDescriptor): void;
}

const DECORATOR_NAMES: Record<keyof LifecycleMethods, string> = {
  activate: '@Activate',
  deactivate: '@Deactivate',
  modified: '@Modified',
  checkConfiguration: '@CheckConfiguration',
};

function lifecycleMarker(kind: keyof LifecycleMethods): LifecycleMarker {
  const mark: LifecycleDecorator = (target, key) => {
    const decorator = DECORATOR_NAMES[kind];
    const className = typeof target === 'function' ? target.name : target.constructor.name;
    const where = `${className}.${String(key)}`;
    if (typeof target === 'function') fail(decorator, where, 'is static; put it on an instance method');
    if (typeof key === 'symbol') fail(decorator, where, 'is on a symbol-named method; use a method with a string name');
    if (typeof (target as Record<string, unknown>)[key] !== 'function') fail(decorator, where, 'is not on a method');
    const methods = ownLifecycle(target);
    const existing = methods[kind];
    if (existing !== undefined && existing !== key) {
      fail(decorator, where, `appears twice in ${className} (also on ${existing}); keep one`);
    }
    methods[kind] = key;
  };
  return ((...args: unknown[]) => {
    if (args.length === 0) return mark;
    mark(args[0] as object, args[1] as string | symbol, args[2] as PropertyDescriptor | undefined);
    return undefined;
  }) as LifecycleMarker;
}

function fail(decorator: string, where: string, problem: string): never {
  throw new LatticeError(ErrorCode.COMPONENT_INVALID, `${decorator} on ${where} ${problem}.`, { member: where });
}

/**
 * Marks the method called when the component activates: `(context) => void | Promise<void>`.
 * It may be async; the component is active once it settles.
 */
export const Activate: LifecycleMarker = lifecycleMarker('activate');

/** Marks the method called when the component deactivates: `(context) => void | Promise<void>`; `context.reason` says why. */
export const Deactivate: LifecycleMarker = lifecycleMarker('deactivate');

/** Marks the method called with the new configuration when it changes, instead of a restart. */
export const Modified: LifecycleMarker = lifecycleMarker('modified');

/**
 * Marks the method asked, while the component is active, whether it could take a configuration about to
 * be written through configuration admin (`lattice config set`, the control API, `update`/`patch`/`edit`):
 * `(config, context) => string[] | Promise<string[]>`, the problems (`$.path: reason`) that would make it
 * refuse the values (the schema's output), none when it can. Any problem refuses the write: nothing is
 * written. For what only the running instance knows (a port it would have to listen on, who it is).
 */
export const CheckConfiguration: LifecycleMarker = lifecycleMarker('checkConfiguration');
