import type { ComponentDescription } from '../component/ComponentDescription.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import type { MaybePromise } from './MaybePromise.js';
import { withTimeout } from '../async/withTimeout.js';

/**
 * What a piece of component code is: building an instance (constructor, bind methods, activate), a
 * lifecycle or configuration method of a live instance, or a reference's bind/unbind/updated method.
 */
export type CodeKind = 'activate' | 'modified' | 'checkConfiguration' | 'deactivate' | 'bind' | 'unbind' | 'updated';

/** What running component code needs from the runtime. */
export interface CodeHost {
  readonly activationTimeoutMs: number;
  readonly deactivationTimeoutMs: number;
  /** Runs a piece of component code, counted while it lasts. */
  runComponentCode<T>(work: () => MaybePromise<T>): MaybePromise<T>;
}

type Method = (...args: unknown[]) => unknown;

/**
 * Calls one component's code, each call within the timeout of its kind: the activation timeout (of the
 * component, else the container's) for what builds or reconfigures an instance, the deactivation timeout
 * for the rest. Callers decide what a failure means (a failed activation, a logged unbind).
 */
export class ComponentCode {
  constructor(
    private readonly host: CodeHost,
    private readonly description: ComponentDescription,
  ) {}

  /**
   * Runs code that `start` sets going; what did not finish at once is waited for within the timeout of
   * `kind`. @throws what it throws, or the timeout
   */
  invoke<T>(kind: CodeKind, start: () => MaybePromise<T>): MaybePromise<T> {
    return this.host.runComponentCode(() => {
      const result = start();
      if (!(result instanceof Promise)) return result;
      const ms = this.timeoutOf(kind);
      return withTimeout(result, ms, () => this.timeoutError(kind, ms));
    });
  }

  /**
   * Calls `object[method](...args())` within the timeout of `kind`; undefined when the class has no such
   * method (the arguments are then not built). @throws what the method throws, or the timeout
   */
  call(kind: CodeKind, object: object, method: string | undefined, args: () => unknown[]): Promise<unknown> | undefined {
    const fn = methodOf(object, method);
    if (!fn) return undefined;
    return Promise.resolve(this.invoke(kind, () => Promise.resolve().then(() => fn.apply(object, args()))));
  }

  private timeoutOf(kind: CodeKind): number {
    return kind === 'activate' || kind === 'modified' || kind === 'checkConfiguration'
      ? (this.description.activationTimeoutMs ?? this.host.activationTimeoutMs)
      : this.host.deactivationTimeoutMs;
  }

  private timeoutError(kind: CodeKind, ms: number): Error {
    if (kind === 'activate') {
      return new LatticeError(
        ErrorCode.ACTIVATION_TIMEOUT,
        `Component ${this.description.name} did not finish activating within ${ms} ms (constructor, bind methods and activate). ` +
          'Find what activate() waits for, or raise activationTimeoutMs in @Component or the container options.',
        { component: this.description.name, timeoutMs: ms },
      );
    }
    // What the caller does next (gives up on it, or keeps the instance) is its to say.
    if (kind === 'modified' || kind === 'checkConfiguration') return new Error(`did not finish within ${ms} ms`);
    return new Error(`${kind === 'deactivate' ? 'deactivate() ' : ''}did not finish within ${ms} ms; going on without it`);
  }
}

/** The method `name` of `object`, if its class has one. */
export function methodOf(object: object, name: string | undefined): Method | undefined {
  const fn = name === undefined ? undefined : (object as Record<string, unknown>)[name];
  return typeof fn === 'function' ? (fn as Method) : undefined;
}
