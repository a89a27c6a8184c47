import type { FeatureDetails, FeatureInfo, FeatureTree, InstallProgress, InstallReport, UninstallReport } from '../../../features/FeatureReports.js';
import { paint, stateColour } from '../../format/colour.js';
import { table } from '../../format/table.js';
import { print, type CliContext } from '../CliContext.js';
import { ApiError } from '../ControlClient.js';

export async function featureList(context: CliContext, options: { installed?: boolean }): Promise<void> {
  const features = (await (await context.client()).get<FeatureInfo[]>('features')).filter((f) => !options.installed || f.installed);
  print(context, features, () =>
    table(
      ['NAME', 'VERSION', 'INSTALLED', 'REQUIRED BY', 'BOOT', 'DESCRIPTION'],
      features.map((f) => [
        f.name,
        f.version,
        f.installed ? paint(f.installedAs === 'dependency' ? 'dependency' : 'yes', 'green', context.colour) : 'no',
        f.requiredBy.join(', '),
        f.boot ? 'yes' : '',
        f.description,
      ]),
    ),
  );
}

export async function featureInfo(context: CliContext, name: string): Promise<void> {
  const f = await (await context.client()).get<FeatureDetails>(`features/${encodeURIComponent(name)}`);
  print(context, f, () => {
    const lines = [
      `${paint(f.name, 'bold', context.colour)} ${f.version}${f.description ? ` — ${f.description}` : ''}`,
      `Installed:    ${f.installed ? (f.installedAs === 'dependency' ? 'yes, as a dependency' : 'yes') : 'no'}${f.boot ? ' (boot)' : ''}`,
      `Defined in:   ${f.source}`,
      `Required by:  ${f.requiredBy.join(', ') || 'nothing installed'}`,
      `Modules:      ${f.modules.join(', ') || 'none'}`,
      `Config:       ${f.config.join(', ') || 'none'}`,
      'Dependencies:',
      ...(f.dependencies.length > 0 ? tree(f.dependencies, '  ') : ['  none']),
      'Components:',
      ...(f.components.length > 0 ? f.components.map((c) => `  ${c.name} ${paint(c.state, stateColour(c.state), context.colour)}`) : [`  ${f.installed ? 'none' : '(not installed)'}`]),
    ];
    return lines.join('\n');
  });
}

function tree(nodes: readonly FeatureTree[], indent: string): string[] {
  return nodes.flatMap((n, i) => {
    const last = i === nodes.length - 1;
    return [`${indent}${last ? '└─' : '├─'} ${n.name} ${n.version}${n.installed ? '' : ' (not installed)'}`, ...tree(n.dependencies, `${indent}${last ? '   ' : '│  '}`)];
  });
}

/** Installs, showing progress (what it waits for) on stderr while components activate. */
export async function featureInstall(context: CliContext, names: string[], options: { dryRun?: boolean }): Promise<void> {
  const client = await context.client();
  let report: InstallReport | undefined;
  let failure: ApiError | undefined;
  let lastProgress = '';
  const tty = process.stderr.isTTY && !context.json;
  await client.stream('features/install', { names, dryRun: options.dryRun === true }, (line) => {
    if ('progress' in line) {
      const text = describeProgress(line.progress as InstallProgress);
      if (text === lastProgress || context.json) return;
      lastProgress = text;
      if (tty) process.stderr.write(`\r\u001b[K${text}`);
      else context.err(text);
    } else if ('result' in line) report = line.result as InstallReport;
    else if ('error' in line) {
      const error = line.error as { code: string; message: string; details?: unknown };
      failure = new ApiError(error.code, error.message, error.details);
    }
  });
  if (tty && lastProgress) process.stderr.write('\r\u001b[K');
  if (failure) throw failure;
  if (!report) throw new ApiError('NO_RESULT', 'The container ended the install without a result.');
  const r = report;
  print(context, r, () => {
    const added = r.features.filter((f) => !f.alreadyInstalled);
    const head = r.dryRun
      ? `Would install: ${added.map((f) => `${f.name} ${f.version}`).join(', ') || 'nothing (already installed)'}`
      : `Installed: ${added.map((f) => `${f.name} ${f.version}`).join(', ') || 'nothing new (already installed)'}`;
    const lines = [head];
    if (r.modules.length > 0) lines.push(`Modules: ${r.modules.join(', ')}`);
    if (r.configs.length > 0) lines.push(`Configuration ${r.dryRun ? 'to write' : 'written'}: ${r.configs.join(', ')}`);
    if (r.components.length > 0) lines.push('Components:', ...r.components.map((c) => `  ${c.name} ${paint(c.state, stateColour(c.state), context.colour)}`));
    return lines.join('\n');
  });
}

function describeProgress(progress: InstallProgress): string {
  switch (progress.phase) {
    case 'importing':
      return `importing ${progress.module}`;
    case 'configuring':
      return `writing configuration ${progress.pid}`;
    case 'registering':
      return `registering the components of ${progress.module}`;
    case 'activating':
      return progress.waitingFor.length === 0 ? 'components up' : `waiting for ${progress.waitingFor.join(', ')}`;
  }
}

export async function featureUninstall(context: CliContext, names: string[], options: { force?: boolean }): Promise<void> {
  const report = await (await context.client()).post<UninstallReport>('features/uninstall', { names, force: options.force === true });
  print(context, report, () => `Uninstalled: ${report.uninstalled.join(', ')}${report.components.length > 0 ? `\nComponents removed: ${report.components.join(', ')}` : ''}`);
}
