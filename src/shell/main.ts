import { CommanderError } from 'commander';
import { contributedCommands } from './client/actions/contributed.js';
import { cliContext, ExitCode } from './client/CliContext.js';
import { NoContainerError } from './client/ControlClient.js';
import { addContributedCommands, BUILT_IN, buildProgram } from './program.js';
import { exitCodeOf, type RunState } from './runState.js';

/** The `lattice` command. Exit codes: 0 ok, 1 command failed, 2 usage error, 3 no container running. */
const state: RunState = { exitCode: 0, json: process.argv.slice(2).includes('--json') };
const argv = process.argv.slice(2);
const program = buildProgram(state);
const first = firstOperand(argv);
const builtIn = first !== undefined && (BUILT_IN as readonly string[]).includes(first) && first !== 'help';
const { commands, unreachable } = builtIn ? { commands: [] } : await contributedCommands(cliContext({ home: optionValue(argv, '--home') }));
if (first !== undefined && !builtIn && first !== 'help' && unreachable instanceof NoContainerError) {
  // Perhaps a command a component contributes (`lattice cluster nodes`): those need the container.
  process.stderr.write(`lattice: "${first}" is not a built-in command; commands that components contribute need a running container. ${unreachable.message}\n`);
  process.exitCode = ExitCode.NO_CONTAINER;
} else {
  // Perhaps a command a component contributes, or help, which lists them too.
  addContributedCommands(program, commands, state);
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    state.exitCode = exitCodeOf(error);
    // Commander has printed its own errors (usage, --help, --version), but not as JSON; anything else is said here.
    if (!(error instanceof CommanderError)) process.stderr.write(`lattice: ${error instanceof Error ? error.message : String(error)}\n`);
    else if (state.json === true && state.exitCode !== 0) process.stderr.write(`${JSON.stringify({ error: state.usageError ?? error.message, exitCode: state.exitCode })}\n`);
  }
  process.exitCode = state.exitCode;
}

/** The first argument that is not an option (nor the value of --home). */
function firstOperand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--home') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

function optionValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === name) return args[i + 1];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}
