import type { Readiness } from '../../../health/Readiness.js';
import { paint, stateColour } from '../../format/colour.js';
import { table } from '../../format/table.js';
import { ExitCode, print, type CliContext } from '../CliContext.js';

/** `lattice health`: readiness, what keeps the container from it, each health check. Exit 1 when not ready. */
export async function health(context: CliContext): Promise<number> {
  const r = await (await context.client()).get<Readiness>('health');
  print(context, r, () => {
    const lines = [
      `Ready:      ${r.ready ? paint('yes', 'green', context.colour) : paint('no', 'red', context.colour)}${r.phase === 'running' ? '' : ` (${r.phase})`}`,
      `Components: ${r.components.counted} counted, ${r.components.counted - r.components.notReady.length} active or satisfied`,
    ];
    for (const c of r.components.notReady) lines.push(`  ${paint(c.name, 'bold', context.colour)} ${paint(c.state, stateColour(c.state), context.colour)}: ${c.why}`);
    if (r.checks.length === 0) lines.push('Checks:     none');
    else {
      lines.push('Checks:');
      const rows = r.checks.map((c) => [`  ${c.name}`, paint(c.status, c.status === 'up' ? 'green' : 'red', context.colour), `${c.ms} ms`, c.detail ?? '']);
      lines.push(table(['  NAME', 'STATUS', 'TIME', 'DETAIL'], rows));
    }
    return lines.join('\n');
  });
  return r.ready ? ExitCode.OK : ExitCode.FAILED;
}
