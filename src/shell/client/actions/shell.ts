import { appendFile, chmod, readFile } from 'node:fs/promises';
import { createInterface, type Interface } from 'node:readline';
import type { Command as CommanderCommand } from 'commander';
import type { ComponentInfo } from '../../../runtime/ComponentInfo.js';
import type { CommandDescription } from '../../Command.js';
import { exitCodeOf, type RunState } from '../../runState.js';
import { ExitCode, type CliContext } from '../CliContext.js';
import { writeFileAtomic } from '../../../fs/writeFileAtomic.js';
import { Home } from '../../../home/Home.js';
import { historyLine } from '../historyLine.js';
import { splitCommandLine } from '../splitCommandLine.js';
import { contributedCommands } from './contributed.js';

const HISTORY_SIZE = 500;

/** Makes the `lattice` command line for one line of the session: its built-in and contributed commands. */
export type ProgramMaker = (state: RunState, commands: readonly CommandDescription[], warn: (message: string) => void) => CommanderCommand;

/**
 * An interactive session: the same commands as `lattice`, without the word `lattice`. On a terminal:
 * a prompt, history (kept in `<home>/data/shell_history`), and tab completion of commands, feature,
 * component and configuration names; the history file is the owner's only (it may hold configuration
 * values; those of `config set` named like secrets are written as ••••) and keeps the last HISTORY_SIZE lines. With piped input: runs each line and exits with the highest exit
 * code seen. `exit` or Ctrl-D ends it.
 */
export async function runShell(context: CliContext, makeProgram: ProgramMaker): Promise<number> {
  const client = await context.client();
  const interactive = process.stdin.isTTY && process.stdout.isTTY;
  const historyFile = new Home(context.home).shellHistory;
  const history = interactive ? await loadHistory(historyFile) : [];
  let commands: CommandDescription[] = (await contributedCommands(context)).commands;
  const warned = new Set<string>();
  const warnOnce = (message: string): void => {
    if (!warned.has(message)) context.err(message);
    warned.add(message);
  };
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: 'lattice> ',
    terminal: interactive,
    history,
    historySize: HISTORY_SIZE,
    ...(interactive && {
      completer: (line: string, callback: (error: null, result: [string[], string]) => void) => {
        complete(line, context, commands).then(
          (result) => {
            callback(null, result);
          },
          () => {
            callback(null, [[], line]);
          },
        );
      },
    }),
  });
  if (interactive) {
    context.out(`Connected to the container in ${context.home} (pid ${client.info.pid}). Type "help" for commands, "exit" to leave.`);
  }
  let worst: number = ExitCode.OK;
  for await (const line of lines(rl, interactive)) {
    const words = splitCommandLine(line);
    if (words.length === 0) continue;
    if (words[0] === 'exit' || words[0] === 'quit') break;
    if (interactive) await appendFile(historyFile, `${historyLine(line, words)}\n`, { mode: 0o600 }).catch(() => undefined);
    if (words[0] === 'help') commands = (await contributedCommands(context)).commands;
    const code = await runLine(words, context, (state) => makeProgram(state, commands, warnOnce));
    worst = Math.max(worst, code);
  }
  rl.close();
  return worst;
}

/** The history, newest first; the file is trimmed to HISTORY_SIZE lines and made the owner's only. */
async function loadHistory(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  const all = text.split('\n').filter(Boolean);
  const kept = all.slice(-HISTORY_SIZE);
  if (kept.length < all.length) await writeFileAtomic(file, `${kept.join('\n')}\n`, { mode: 0o600 }).catch(() => undefined);
  else await chmod(file, 0o600).catch(() => undefined);
  return kept.reverse();
}

async function* lines(rl: Interface, interactive: boolean): AsyncGenerator<string> {
  const iterator = rl[Symbol.asyncIterator]();
  for (;;) {
    if (interactive) rl.prompt();
    const next = await iterator.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/** Runs one line as a `lattice` command. */
async function runLine(words: string[], context: CliContext, makeProgram: (state: RunState) => CommanderCommand): Promise<number> {
  const state: RunState = { exitCode: ExitCode.OK };
  const program = makeProgram(state);
  const nested = (command: CommanderCommand): void => {
    // A typo in a session gets a line, not the whole usage text.
    command.exitOverride().showHelpAfterError('(type help for the commands)');
    for (const sub of command.commands) nested(sub);
  };
  nested(program);
  if (words[0] === 'shell' || words[0] === 'start') {
    context.err(`"${words[0]}" does not run inside the shell.`);
    return ExitCode.USAGE;
  }
  if (words[0] === 'help') words = ['--help'];
  try {
    await program.parseAsync([...words, ...(context.json ? ['--json'] : [])], { from: 'user' });
  } catch (error) {
    state.exitCode = exitCodeOf(error);
  }
  return state.exitCode;
}

const SUBCOMMANDS: Record<string, string[]> = {
  feature: ['list', 'info', 'install', 'uninstall'],
  component: ['list', 'info', 'enable', 'disable', 'restart'],
  config: ['list', 'get', 'set', 'delete'],
};

/** Completions for the word being typed: commands, then feature, component or configuration names. */
async function complete(line: string, context: CliContext, commands: readonly CommandDescription[]): Promise<[string[], string]> {
  const words = splitCommandLine(line);
  const typing = /\s$/.test(line) ? '' : (words.pop() ?? '');
  let candidates: string[] = [];
  const scopes = [...new Set(commands.map((c) => c.scope))];
  if (words.length === 0) candidates = ['status', 'health', 'stop', 'feature', 'component', 'config', 'graph', 'help', 'exit', ...scopes];
  else if (words.length === 1) {
    candidates = SUBCOMMANDS[words[0] ?? ''] ?? commands.filter((c) => c.scope === words[0]).map((c) => c.name);
  } else if (words.length >= 2) {
    const client = await context.client();
    if (words[0] === 'feature' && ['info', 'install', 'uninstall'].includes(words[1] ?? '')) {
      candidates = (await client.get<{ name: string }[]>('features')).map((f) => f.name);
    } else if (words[0] === 'component' && ['info', 'enable', 'disable', 'restart'].includes(words[1] ?? '')) {
      candidates = (await client.get<ComponentInfo[]>('components')).map((c) => c.name);
    } else if (words[0] === 'config' && ['get', 'set', 'delete'].includes(words[1] ?? '') && words.length === 2) {
      candidates = (await client.get<{ pid: string }[]>('config')).map((e) => e.pid);
    }
  }
  const matches = [...new Set(candidates)].filter((c) => c.startsWith(typing)).sort();
  return [matches.map((m) => `${m} `), typing];
}
