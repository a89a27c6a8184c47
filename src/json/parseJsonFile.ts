import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { lineAndColumn, locateJsonSyntaxError } from './locateJsonSyntaxError.js';
import { MAX_JSON_DEPTH, tooDeepAt } from './nestingDepth.js';

/**
 * Parses the JSON text of `file`.
 * @throws LatticeError JSON_SYNTAX naming the file, line and column, and what was expected.
 */
export function parseJsonFile(text: string, file: string): unknown {
  // Some editors start UTF-8 files with a byte order mark, which JSON does not allow; it is not content.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    const { line, column } = lineAndColumn(text, deep);
    throw new LatticeError(
      ErrorCode.JSON_TOO_DEEP,
      `${file}:${line}:${column}: arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep here, which Lattice does not read. Flatten the structure.`,
      { file, line, column, limit: MAX_JSON_DEPTH },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const problem = locateJsonSyntaxError(text) ?? { offset: 0, reason: (error as Error).message };
    const { line, column } = lineAndColumn(text, problem.offset);
    throw new LatticeError(ErrorCode.JSON_SYNTAX, `${file}:${line}:${column}: invalid JSON: ${problem.reason}.`, { file, line, column });
  }
}
