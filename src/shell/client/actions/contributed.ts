import type { CommandDescription, CommandResult } from '../../Command.js';
import { table } from '../../format/table.js';
import { print, type CliContext } from '../CliContext.js';

/** The commands components contribute, or none when no container runs. */
export async function contributedCommands(context: CliContext): Promise<CommandDescription[]> {
  try {
    return await (await context.client()).get<CommandDescription[]>('commands');
  } catch {
    return [];
  }
}

export async function runContributed(context: CliContext, command: CommandDescription, args: string[], options: Record<string, string | boolean>): Promise<void> {
  const result = await (await context.client()).post<CommandResult>(`commands/${encodeURIComponent(`${command.scope}:${command.name}`)}`, { args, options });
  print(context, result.data ?? result.table ?? result.text ?? null, () => {
    if (result.table) return table(result.table.columns, result.table.rows.map((row) => row.map((cell) => (typeof cell === 'string' ? cell : JSON.stringify(cell)))));
    if (result.text !== undefined) return result.text;
    return JSON.stringify(result.data, null, 2);
  });
}
