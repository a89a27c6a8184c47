import { paint, stateColour } from '../../format/colour.js';
import { duration } from '../../format/table.js';
import { print, type CliContext } from '../CliContext.js';

interface Status {
  version: string;
  nodeId: string | null;
  pid: number;
  phase: 'starting' | 'running' | 'stopping';
  home: string;
  port: number;
  startedAt: string;
  uptimeMs: number;
  features: { name: string; version: string; installedAs?: string }[];
  components: { total: number; byState: Record<string, number> };
  notActive: { name: string; state: string; why: string; failure?: string }[];
  /** Module files whose import has not finished (going on, or given up on). */
  importing: string[];
  /** Features files in deploy/ that wait for their modules. */
  waiting: { entry: string; modules: string[] }[];
  /** Features that should have been installed at start (boot, remembered) and were not. */
  failedAtStart: { name: string; error: string }[];
}

export async function status(context: CliContext): Promise<void> {
  const s = await (await context.client()).get<Status>('status');
  print(context, s, () => {
    const states = Object.entries(s.components.byState)
      .map(([state, n]) => paint(`${n} ${state}`, stateColour(state), context.colour))
      .join(', ');
    const lines = [
      `Lattice ${s.version} — node ${s.nodeId ?? '(none)'}, pid ${s.pid}, up ${duration(s.uptimeMs)}, control port ${s.port}${s.phase === 'running' ? '' : `, ${s.phase}`}`,
      `Home:       ${s.home}`,
      `Features:   ${s.features.map((f) => `${f.name} ${f.version}${f.installedAs === 'dependency' ? ' (dependency)' : ''}`).join(', ') || 'none'}`,
      `Components: ${s.components.total}${states ? ` (${states})` : ''}`,
    ];
    if (s.importing.length > 0) lines.push(`Importing:  ${s.importing.join(', ')} (not finished)`);
    for (const w of s.waiting) lines.push(`Waiting:    ${w.entry} for ${w.modules.join(', ')} (not in deploy/ yet)`);
    for (const f of s.failedAtStart) lines.push(paint(`Not installed at start: ${f.name}: ${f.error}`, 'red', context.colour));
    if (s.notActive.length > 0) {
      lines.push('Not active:');
      for (const c of s.notActive) lines.push(`  ${paint(c.name, 'bold', context.colour)} ${paint(c.state, stateColour(c.state), context.colour)}: ${c.why}`);
    }
    return lines.join('\n');
  });
}
