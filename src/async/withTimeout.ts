/**
 * Settles like `promise`, or rejects with `onTimeout()` after `ms`, or with `abort.error()` once
 * `abort.signal` is aborted. The promise itself keeps running: JavaScript cannot cancel it, so callers
 * decide what to do if it settles late.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error, abort?: { readonly signal: AbortSignal; readonly error: () => Error }): Promise<T> {
  if (abort?.signal.aborted === true) return Promise.reject(abort.error());
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(onTimeout());
    }, ms);
    if (abort) {
      onAbort = () => {
        reject(abort.error());
      };
      abort.signal.addEventListener('abort', onAbort);
    }
  });
  return Promise.race([promise, stopped]).finally(() => {
    clearTimeout(timer);
    if (onAbort) abort?.signal.removeEventListener('abort', onAbort);
  });
}
