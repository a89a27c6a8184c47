import { paint, stateColour } from '../../format/colour.js';
import { duration } from '../../format/table.js';
import type { InstallTiming } from '../../../features/FeatureReports.js';
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
  /** How long the start took (once started): since the process started, and since the container began to start. */
  boot?: { processStartMs: number; containerStartMs?: number };
  /** With --timing: the installs, oldest first. */
  installs?: InstallTiming[];
}

export async function status(context: CliContext, options: { timing?: boolean } = {}): Promise<void> {
  const s = await (await context.client()).get<Status>(options.timing === true ? 'status?timing=1' : 'status');
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
    if (s.installs) lines.push(...timingTree(s, context.colour));
    return lines.join('\n');
  });
}

const ms = (value: number): string => `${value < 10 ? value.toFixed(2) : Math.round(value)} ms`;

/**
 * The start and each install as a tree: the install (its features, why, how long), each module import,
 * and each component with its activation time and the components it bound (they activated first).
 */
function timingTree(s: Status, colour: boolean): string[] {
  const lines = ['Timing:'];
  if (s.boot) {
    lines.push(`  ready ${ms(s.boot.processStartMs)} after the process started${s.boot.containerStartMs === undefined ? '' : `, ${ms(s.boot.containerStartMs)} after the container began to start`}`);
  } else lines.push('  (still starting)');
  const installs = s.installs ?? [];
  if (installs.length === 0) lines.push('  no installs');
  installs.forEach((install, i) => {
    const last = i === installs.length - 1;
    lines.push(`  ${last ? '└─' : '├─'} ${paint(install.features.join(', '), 'bold', colour)} (${install.reason}, ${install.startedAt}) ${ms(install.ms)}`);
    const rows = [
      ...install.modules.map((m) => `import ${m.file} ${ms(m.ms)}`),
      ...install.components.map((c) => `${c.name} ${c.activationMs === undefined ? c.state : `activated in ${ms(c.activationMs)}`}${c.after.length > 0 ? `, after ${c.after.join(', ')}` : ''}`),
    ];
    rows.forEach((row, j) => {
      lines.push(`  ${last ? '  ' : '│ '} ${j === rows.length - 1 ? '└─' : '├─'} ${row}`);
    });
  });
  return lines;
}
