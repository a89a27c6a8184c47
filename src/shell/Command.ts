import { serviceToken } from '../component/ServiceToken.js';

/** A positional argument of a contributed command. */
export interface CommandArgument {
  readonly name: string;
  readonly description?: string;
  readonly required?: boolean;
  /** Takes all remaining arguments. */
  readonly variadic?: boolean;
}

/** An option of a contributed command, in commander's notation: `--limit <n>` or `--verbose`. */
export interface CommandOption {
  readonly flags: string;
  readonly description?: string;
}

/** What a command returns: text for people, data for `--json`, or a table (both). */
export interface CommandResult {
  readonly text?: string;
  readonly data?: unknown;
  readonly table?: { readonly columns: readonly string[]; readonly rows: readonly (readonly unknown[])[] };
}

/**
 * A shell command contributed by a component: provide it as a service under `CommandService` and it
 * appears in `lattice help`, in `lattice shell`, and as `lattice <scope> <name>`. It runs inside the
 * container; throw to fail (the message is shown, the exit code is 1; a `CommandUsageError`: 2).
 */
export interface Command {
  readonly scope: string;
  readonly name: string;
  readonly description: string;
  readonly arguments?: readonly CommandArgument[];
  readonly options?: readonly CommandOption[];
  run(args: readonly string[], options: Readonly<Record<string, string | boolean>>): CommandResult | string | Promise<CommandResult | string>;
}

/**
 * Throw it from `run` when the arguments or options are wrong (not when the work fails): `lattice`
 * exits 2, as for its own usage errors, and the control API answers 400 with code `USAGE`.
 */
export class CommandUsageError extends Error {
  override readonly name = 'CommandUsageError';
}

/** The service interface of contributed commands. */
export const CommandService = serviceToken<Command>('lattice.Command');

/** A command as the control API lists it (without its handler). */
export interface CommandDescription {
  readonly scope: string;
  readonly name: string;
  readonly description: string;
  readonly arguments: readonly CommandArgument[];
  readonly options: readonly CommandOption[];
}
