/**
 * A value now, or a promise of one. The activation path returns values when nothing had to wait (the
 * common case in a big graph): each `await` it saves is a promise and a microtask per component.
 */
export type MaybePromise<T> = T | Promise<T>;

/** True for promises and other thenables (what user code may return). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** `next(value)`: at once for a value, once it settles for a thenable (made a real promise). */
export function andThen<T, R>(value: MaybePromise<T> | PromiseLike<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isThenable(value) ? Promise.resolve(value).then(next) : next(value);
}
