import { CommanderError } from 'commander';
import { UsageError } from './client/actions/config.js';
import { ExitCode, type CliContext } from './client/CliContext.js';
import { ApiError, NoContainerError } from './client/ControlClient.js';

/** The exit code of the last command run (the shell runs many). */
export interface RunState {
  exitCode: number;
  /** `--json` was given: commander's own errors (usage) are held back here, and said as JSON. */
  json?: boolean;
  usageError?: string;
}

/** A failed command's message on stderr: `lattice: <message>`, or with --json, `{ "error", "exitCode" }`. */
export function reportError(context: Pick<CliContext, 'json' | 'err'>, error: unknown, exitCode: number): void {
  const message = error instanceof Error ? error.message : String(error);
  context.err(context.json ? JSON.stringify({ error: message, exitCode }) : `lattice: ${message}`);
}

/** The control API's codes for arguments that are wrong in themselves (a contributed command's usage error, a malformed PID). */
const USAGE_CODES = new Set(['USAGE', 'CONFIG_PID_INVALID']);

/** The exit code for a failure: 3 no container, 2 usage, 1 anything else. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof NoContainerError) return ExitCode.NO_CONTAINER;
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  if (error instanceof ApiError) return USAGE_CODES.has(error.code) ? ExitCode.USAGE : ExitCode.FAILED;
  return ExitCode.FAILED;
}

