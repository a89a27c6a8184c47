import { readFile } from 'node:fs/promises';

export type RetriedRead<T> =
  | { readonly kind: 'ok'; readonly value: T; readonly text: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly error: Error; readonly text: string }
  | { readonly kind: 'superseded' };

/**
 * Reads and parses a file that may be in the middle of being written: a parse failure, or a missing
 * file, is re-read after each of `delaysMs` before it counts. A plain write truncates first, and an
 * editor's rename-save removes the file for a moment; neither should be reported as the user's error.
 */
export async function readWithRetries<T>(
  file: string,
  parse: (text: string) => T,
  delaysMs: readonly number[],
  superseded: () => boolean = () => false,
  /** Told before each wait: what the read found (not yet what counts), and how long until the next. */
  onRetry: (found: 'missing' | 'failed', delayMs: number) => void = () => undefined,
): Promise<RetriedRead<T>> {
  for (let attempt = 0; ; attempt++) {
    if (superseded()) return { kind: 'superseded' };
    let result: RetriedRead<T>;
    try {
      const text = await readFile(file, 'utf8');
      try {
        result = { kind: 'ok', value: parse(text), text };
      } catch (error) {
        result = { kind: 'failed', error: error as Error, text };
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      result = { kind: 'missing' };
    }
    const delay = delaysMs[attempt];
    if (result.kind === 'ok' || delay === undefined) return superseded() ? { kind: 'superseded' } : result;
    onRetry(result.kind, delay);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
