import { open } from 'node:fs/promises';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';

export type RetriedRead<T> =
  | { readonly kind: 'ok'; readonly value: T; readonly text: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly error: Error; readonly text: string }
  | { readonly kind: 'superseded' };

export interface RetryOptions {
  /** Waits before each re-read of a file that does not parse or is missing (none: read once). */
  readonly delaysMs?: readonly number[];
  /** True once a newer change makes this read pointless. */
  readonly superseded?: () => boolean;
  /** Told before each wait: what the read found (not yet what counts), and how long until the next. */
  readonly onRetry?: (found: 'missing' | 'failed', delayMs: number) => void;
  /** The file as people know it (`config/x.json`), for errors; default: its path. */
  readonly describe?: string;
  /** A larger file is not read at all: it fails with FILE_TOO_LARGE, which ends with `fix`. */
  readonly maxBytes?: { readonly limit: number; readonly fix: string };
}

/**
 * Reads and parses a file that may be in the middle of being written: a parse failure, or a missing
 * file, is re-read after each of `delaysMs` before it counts. A plain write truncates first, and an
 * editor's rename-save removes the file for a moment; neither should be reported as the user's error.
 */
export async function readWithRetries<T>(file: string, parse: (text: string) => T, options: RetryOptions = {}): Promise<RetriedRead<T>> {
  const { delaysMs = [], superseded = () => false, onRetry = () => undefined, maxBytes, describe = file } = options;
  for (let attempt = 0; ; attempt++) {
    if (superseded()) return { kind: 'superseded' };
    let result: RetriedRead<T>;
    const text = await readText(file, describe, maxBytes);
    if (text === undefined) result = { kind: 'missing' };
    else if (text instanceof LatticeError) return { kind: 'failed', error: text, text: '' };
    else {
      try {
        result = { kind: 'ok', value: parse(text), text };
      } catch (error) {
        result = { kind: 'failed', error: error as Error, text };
      }
    }
    const delay = delaysMs[attempt];
    if (result.kind === 'ok' || delay === undefined) return superseded() ? { kind: 'superseded' } : result;
    onRetry(result.kind, delay);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * The file's text; undefined if it does not exist; an error naming the file if it is over the size limit
 * (FILE_TOO_LARGE, not read) or cannot be read (FILE_UNREADABLE: a symbolic link loop, a folder, no permission).
 */
async function readText(file: string, describe: string, maxBytes: RetryOptions['maxBytes']): Promise<string | LatticeError | undefined> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (maxBytes && size > maxBytes.limit) {
        return new LatticeError(
          ErrorCode.FILE_TOO_LARGE,
          `${describe}: the file is ${size.toLocaleString('en')} bytes, over the limit of ${maxBytes.limit.toLocaleString('en')}, so it was not read. ${maxBytes.fix}`,
          { file: describe, size, limit: maxBytes.limit },
        );
      }
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const why = UNREADABLE[code ?? ''];
    if (why === undefined) throw error;
    return new LatticeError(ErrorCode.FILE_UNREADABLE, `${describe} cannot be read: ${why}`, { file: describe, code });
  }
}

const UNREADABLE: Readonly<Record<string, string>> = {
  ELOOP: 'it is a symbolic link that leads back to itself (a loop). Point it at a real file, or replace it with one.',
  EISDIR: 'it is a folder, not a file. Remove it, or move the folder elsewhere.',
  EACCES: 'permission denied. Let the user running Lattice read it (chmod or chown).',
  EPERM: 'the operation is not permitted. Let the user running Lattice read it.',
};
