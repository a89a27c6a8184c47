import type { CommandDescription, CommandResult } from '../../Command.js';
import { table, terminalSafe } from '../../format/table.js';
import { print, type CliContext } from '../CliContext.js';

/** The commands components contribute; none, and why, when the container cannot be asked. */
export async function contributedCommands(context: CliContext): Promise<{ commands: CommandDescription[]; unreachable?: Error }> {
  try {
    return { commands: await (await context.client()).get<CommandDescription[]>('commands') };
  } catch (error) {
    return { commands: [], unreachable: error as Error };
  }
}

export async function runContributed(context: CliContext, command: CommandDescription, args: string[], options: Record<string, string | boolean>): Promise<void> {
  const result = await (await context.client()).post<CommandResult>(`commands/${encodeURIComponent(`${command.scope}:${command.name}`)}`, { args, options });
  print(context, result.data ?? result.table ?? result.text ?? null, () => {
    if (result.table) return table(result.table.columns, result.table.rows.map((row) => row.map((cell) => (typeof cell === 'string' ? cell : JSON.stringify(cell)))));
    if (result.text !== undefined) return terminalSafe(result.text, { keepLines: true });
    return JSON.stringify(result.data, null, 2);
  });
}
