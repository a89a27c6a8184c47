import { factoryPidOf } from '../config/ConfigAdmin.js';
import type { ConfigurationEntry, ConfigurationValues, RejectedConfiguration, ShownConfiguration } from '../config/ConfigurationEntry.js';
import { redactSecrets, secretMarksOf } from '../config/secrets.js';
import type { ComponentManager } from './ComponentManager.js';

/**
 * The components that read the configuration `pid`; for a factory configuration that no instance reads
 * yet, the template that would make one (it checks values as its instance would).
 */
export function configurationReaders(managers: Iterable<ComponentManager>, pid: string): ComponentManager[] {
  const all = [...managers];
  const readers = all.filter((m) => m.description.configurationPid === pid && !isConfigurationFactory(m));
  const factoryPid = factoryPidOf(pid);
  if (readers.length > 0 || factoryPid === undefined) return readers;
  return all.filter((m) => isConfigurationFactory(m) && m.factoryRole?.factory.id === factoryPid);
}

/** What the readers of a configuration would refuse in `values` (`component <name>: <problem>` each). */
export async function configurationProblems(readers: readonly ComponentManager[], values: ConfigurationValues): Promise<string[]> {
  return (await Promise.all(readers.map(async (m) => (await m.configurationProblems(values)).map((p) => `component ${m.name}: ${p}`)))).flat();
}

/**
 * A configuration as people may see it (`config get`, the control API): secrets masked, by name or as
 * the schemas of its readers mark them; `raw` (as written) keeps its placeholders; and the readers that
 * refused it, with the values they run on instead.
 */
export function shownConfiguration(entry: ConfigurationEntry, readers: readonly ComponentManager[], raw: ConfigurationValues | undefined): ShownConfiguration {
  const secrets = readers.flatMap((m) => secretMarksOf(m.description.configSchema));
  // A component's schema may refuse what the file holds: it then runs on the values it had before.
  const rejectedBy = readers.flatMap((m): RejectedConfiguration[] => {
    const problem = m.configProblem;
    // The file's own problem (it does not parse, say) is the file's, not a refusal by the component.
    if (problem === undefined || problem === entry.problem) return [];
    const inForce = m.delivered?.present === true ? redactSecrets(m.delivered.raw, secretMarksOf(m.description.configSchema)) : undefined;
    return [{ component: m.name, problem, ...(inForce !== undefined && { inForce }) }];
  });
  return {
    ...entry,
    ...(entry.values && { values: redactSecrets(entry.values, secrets) }),
    ...(raw && { raw: redactSecrets(raw, secrets, true) }),
    ...(rejectedBy.length > 0 && { rejectedBy }),
  };
}

/** A factory configurations' template: it reads no configuration, its instances read theirs. */
function isConfigurationFactory(manager: ComponentManager): boolean {
  return manager.factoryRole?.role === 'template' && manager.factoryRole.factory.kind === 'configuration';
}
