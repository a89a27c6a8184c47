import type { ConfigurationEntry, ShownConfiguration } from '../../../config/ConfigurationEntry.js';
import { MAX_JSON_DEPTH, tooDeepAt } from '../../../json/nestingDepth.js';
import { paint } from '../../format/colour.js';
import { table } from '../../format/table.js';
import { print, type CliContext } from '../CliContext.js';


/** Why the values shown are not the ones in force: the file's latest version could not be used, or a component refused it. */
function problemsOf(entry: ShownConfiguration): string[] {
  return [
    ...(entry.problem === undefined ? [] : [entry.problem]),
    ...(entry.rejectedBy ?? []).map((r) => `component ${r.component} refused it (${r.problem}) and runs on ${r.inForce ? `its earlier values ${JSON.stringify(r.inForce)}` : 'none: it waits for good ones'}`),
  ];
}

export async function configList(context: CliContext): Promise<void> {
  const entries = await (await context.client()).get<ShownConfiguration[]>('config');
  print(context, entries, () =>
    table(
      ['PID', 'FILE', 'KEYS', 'PROBLEM'],
      groupedByFactory(entries).map((row) =>
        'factory' in row
          ? [`${row.factory}~* (factory PID: ${row.count})`, '', '', '']
          : [row.shown, row.e.file ?? '(in memory)', Object.keys(row.e.values ?? {}).join(', '), problemsOf(row.e).map((p) => paint(p, 'red', context.colour)).join('; ')],
      ),
    ),
  );
}

type ListRow = { readonly factory: string; readonly count: number } | { readonly e: ShownConfiguration; readonly shown: string };

/** Configurations in order, the factory configurations `<factoryPid>~<name>` of each factory PID indented under a row of their own. */
function groupedByFactory(entries: readonly ShownConfiguration[]): ListRow[] {
  const factoryOf = (e: ShownConfiguration): string | undefined => (e.pid.includes('~') ? e.pid.slice(0, e.pid.indexOf('~')) : undefined);
  const rows: ListRow[] = [];
  const grouped = new Set<string>();
  for (const e of entries) {
    const factory = factoryOf(e);
    if (factory === undefined) rows.push({ e, shown: e.pid });
    else if (!grouped.has(factory)) {
      grouped.add(factory);
      const members = entries.filter((m) => factoryOf(m) === factory);
      rows.push({ factory, count: members.length }, ...members.map((m) => ({ e: m, shown: `  ${m.pid}` })));
    }
  }
  return rows;
}

export async function configGet(context: CliContext, pid: string): Promise<void> {
  const entry = await (await context.client()).get<ShownConfiguration>(`config/${encodeURIComponent(pid)}`);
  print(context, entry, () => {
    const lines = [`${entry.pid}${entry.file ? ` (${entry.file})` : ''}`, JSON.stringify(entry.values ?? {}, null, 2)];
    // Placeholders such as ${env:NAME} are substituted in the values: show them as written too.
    const written = JSON.stringify(entry.raw ?? {}, null, 2);
    if (entry.raw && written !== lines[1]) lines.push('As written:', written);
    if (entry.problem) lines.push(paint(`Not applied: ${entry.problem} (the values above, the last good ones, stay in force)`, 'red', context.colour));
    for (const r of entry.rejectedBy ?? []) {
      lines.push(paint(`Not applied by component ${r.component}: ${r.problem}`, 'red', context.colour));
      lines.push(r.inForce ? `It runs on its earlier values: ${JSON.stringify(r.inForce)}` : 'It has no earlier values: it waits for good ones.');
    }
    return lines.join('\n');
  });
}

/**
 * Sets keys of a configuration (`key=value`; a value that parses as JSON is taken as JSON, so
 * `port=8080` is a number and `tags=["a"]` an array; anything else is a string). Writes the file.
 */
export async function configSet(context: CliContext, pid: string, assignments: string[]): Promise<void> {
  const values: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UsageError(`"${assignment}" is not key=value`);
    const key = assignment.slice(0, eq);
    const text = assignment.slice(eq + 1);
    // Refused here: what is this deep would overflow the stack while being sent, before the container could say so.
    if (tooDeepAt(text) !== undefined) throw new UsageError(`the value of "${key}" nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep, which Lattice does not read; flatten it`);
    values[key] = parseValue(text);
  }
  const entry = await (await context.client()).patch<ConfigurationEntry>(`config/${encodeURIComponent(pid)}`, { values });
  print(context, entry, () => `${entry.pid} set${entry.file ? ` (${entry.file})` : ''}: ${JSON.stringify(entry.values)}`);
}

export async function configDelete(context: CliContext, pid: string): Promise<void> {
  const result = await (await context.client()).delete<{ deleted: boolean }>(`config/${encodeURIComponent(pid)}`);
  print(context, result, () => (result.deleted ? `Deleted configuration ${pid}.` : `There was no configuration ${pid}.`));
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Wrong arguments (exit code 2). */
export class UsageError extends Error {}
