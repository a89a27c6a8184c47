/**
 * Settles like `promise`, or rejects with `onTimeout()` after `ms`. The promise itself keeps running:
 * JavaScript cannot cancel it, so callers decide what to do if it settles late.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(onTimeout());
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}
