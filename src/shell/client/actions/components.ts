import type { ComponentInfo } from '../../../runtime/ComponentInfo.js';
import { paint, stateColour } from '../../format/colour.js';
import { table } from '../../format/table.js';
import { ExitCode, print, type CliContext } from '../CliContext.js';

export async function componentList(context: CliContext, options: { state?: string }): Promise<void> {
  const query = options.state === undefined ? '' : `?state=${encodeURIComponent(options.state)}`;
  const components = await (await context.client()).get<ComponentInfo[]>(`components${query}`);
  print(context, components, () =>
    table(
      ['NAME', 'STATE', 'SERVICES', 'WHY NOT ACTIVE'],
      // A delayed component waiting for its first user is fine: say nothing about it.
      withInstancesUnderTemplates(components).map(({ c, shown }) => [shown, paint(c.state, stateColour(c.state), context.colour), c.services.join(', '), c.state === 'satisfied' ? '' : (c.why[0] ?? '')]),
    ),
  );
}

/** Components in order, a factory's instances indented under its template (after it, if it is listed). */
function withInstancesUnderTemplates(components: readonly ComponentInfo[]): { c: ComponentInfo; shown: string }[] {
  const listed = new Set(components.map((c) => c.name));
  const rows: { c: ComponentInfo; shown: string }[] = [];
  for (const c of components) {
    if (c.instanceOf !== undefined && listed.has(c.instanceOf)) continue;
    const instances = c.factory && `${c.factory.instances.length} instance${c.factory.instances.length === 1 ? '' : 's'}`;
    rows.push({ c, shown: c.factory ? `${c.name} (${c.factory.kind === 'configuration' ? 'factory configurations' : 'component factory'}, ${instances})` : c.name });
    if (c.factory) for (const i of components) if (i.instanceOf === c.name) rows.push({ c: i, shown: `  ${i.name}` });
  }
  return rows;
}

export async function componentInfo(context: CliContext, name: string): Promise<void> {
  const c = await (await context.client()).get<ComponentInfo>(`components/${encodeURIComponent(name)}`);
  print(context, c, () => describe(c, context.colour));
}

/** `component enable|disable|restart`: the state it ends in; exit 1 when that is a failed activation (the retry failed). */
export async function componentAction(context: CliContext, name: string, action: 'enable' | 'disable' | 'restart'): Promise<number> {
  const c = await (await context.client()).post<ComponentInfo>(`components/${encodeURIComponent(name)}/${action}`);
  print(context, c, () => `${c.name}: ${paint(c.state, stateColour(c.state), context.colour)}${c.why.length > 0 ? `\n  ${c.why.join('\n  ')}` : ''}`);
  return c.state === 'failed-activation' ? ExitCode.FAILED : ExitCode.OK;
}

function describe(c: ComponentInfo, colour: boolean): string {
  const lines = [
    `${paint(c.name, 'bold', colour)} (${c.implementation}, id ${c.id})`,
    `State:          ${paint(c.state, stateColour(c.state), colour)}${c.enabled ? '' : ' (disabled)'}`,
  ];
  if (c.module !== undefined) lines.push(`Module:         ${c.module}`);
  if (c.factory) {
    const how = c.factory.kind === 'configuration' ? `factory configurations ${c.factory.id}~<name> (config/${c.factory.id}~<name>.json)` : `component factory "${c.factory.id}" (ComponentFactoryService, newInstance)`;
    lines.push(`Factory:        ${how}`, `Instances:      ${c.factory.instances.join(', ') || 'none'}`);
  }
  if (c.instanceOf !== undefined) lines.push(`Instance of:    ${c.instanceOf}`);
  if (c.why.length > 0) lines.push(`Why:            ${c.why.join('\n                ')}`);
  lines.push(
    `Services:       ${c.services.join(', ') || 'none'}${c.serviceId === undefined ? '' : ` (service ${c.serviceId}, ${c.useCount} user${c.useCount === 1 ? '' : 's'})`}`,
    `Activation:     ${c.immediate ? 'immediate' : 'delayed'}${c.activatedAt ? `, activated ${c.activatedAt} in ${c.activationMs ?? 0} ms` : ''}`,
  );
  // A factory configurations' template reads none: each instance reads its own (the Factory line says which).
  if (c.factory?.kind !== 'configuration') lines.push(`Configuration:  ${c.configurationPid} (${c.configurationPolicy})${c.configuration ? ` ${JSON.stringify(c.configuration)}` : ''}`);
  if (c.configurationProblem) lines.push(`  problem: ${c.configurationProblem}`);
  lines.push('Properties:');
  for (const [key, value] of Object.entries(c.properties)) lines.push(`  ${key} = ${JSON.stringify(value)}`);
  lines.push('References:');
  if (c.references.length === 0) lines.push('  none');
  for (const r of c.references) {
    lines.push(`  ${r.name}: ${r.service} ${r.cardinality} ${r.policy} ${r.policyOption}${r.target ? ` target ${r.target}` : ''} — ${r.satisfied ? 'satisfied' : paint('unsatisfied', 'yellow', colour)}`);
    const bound = r.bound.map((b) => `service ${b.serviceId}${b.component ? ` (${b.component})` : ''}`);
    lines.push(`    bound to: ${bound.join(', ') || 'nothing'}; candidates: ${r.candidates.length}`);
  }
  if (c.failure) {
    lines.push(`Failure:        ${paint(`${c.failure.code}: ${c.failure.message}`, 'red', colour)} (${c.failure.at})`);
    if (c.failure.stack) lines.push(...c.failure.stack.split('\n').map((l) => `  ${l}`));
  }
  if (c.lastDeactivationReason) lines.push(`Last deactivated: ${c.lastDeactivationReason}`);
  return lines.join('\n');
}
