import type { ErrorCode } from './ErrorCode.js';

/** Where an error comes from: whichever of these apply. */
export interface ErrorDetails {
  /** Component name (or class name, before the component has a name). */
  component?: string;
  /** Field or method the error concerns. */
  member?: string;
  /** File the error concerns. */
  file?: string;
  /** JSON path inside that file, e.g. `$.features[2].name`. */
  path?: string;
  /** 1-based line and column inside that file. */
  line?: number;
  column?: number;
  /** Anything else a caller may want to show. */
  [key: string]: unknown;
}

/**
 * The one error class of Lattice. Match on `code`, never on the message text;
 * the message says what went wrong and what to do about it.
 */
export class LatticeError extends Error {
  override readonly name = 'LatticeError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True for a LatticeError, including one thrown by another copy of this module. */
  static is(error: unknown, code?: ErrorCode): error is LatticeError {
    return (
      error instanceof Error &&
      error.name === 'LatticeError' &&
      typeof (error as { code?: unknown }).code === 'string' &&
      (code === undefined || (error as { code?: unknown }).code === code)
    );
  }
}
