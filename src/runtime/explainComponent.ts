import { tokenName } from '../component/ServiceToken.js';
import type { ConfigurationSource } from '../config/ConfigurationEntry.js';
import { redactSecrets, secretMarksOf } from '../config/secrets.js';
import type { ComponentManager } from './ComponentManager.js';
import type { ComponentNode } from './ComponentNode.js';
import type { FilterNode } from '../filter/Filter.js';
import { matchFilter } from '../filter/matchFilter.js';
import { parseFilter } from '../filter/parseFilter.js';
import type { ReferenceManager } from './ReferenceManager.js';
import type { ServiceRecord } from './ServiceRecord.js';
import type { WaitGraph } from './WaitGraph.js';

/** What diagnostics may look at. */
export interface ComponentDirectory {
  readonly started: boolean;
  readonly config: ConfigurationSource;
  readonly waits: WaitGraph<ComponentNode>;
  managers(): Iterable<ComponentManager>;
  /** Where a missing service could come from outside the registered components (e.g. a feature to install). */
  providerHint?(service: string): string | undefined;
}

/**
 * Why a component is not active, in sentences a user can act on: which reference, which filter,
 * which provider is missing or not active and why, which cycle, which failure.
 */
export function explainComponent(manager: ComponentManager, directory: ComponentDirectory): string[] {
  switch (manager.state) {
    case 'active':
      return [];
    case 'disabled':
      if (manager.factoryRole?.role === 'instance' && manager.factoryRole.factory.kind === 'component' && manager.isDisposed) {
        return [`${manager.name} was disposed: a component factory's instance is removed rather than deactivated.`];
      }
      if (!manager.isEnabled) return [`${manager.name} is disabled; enable it to activate it.`];
      return directory.started ? [`${manager.name} is stopped.`] : ['The container has not started yet.'];
    case 'unsatisfied-configuration': {
      const pid = manager.description.configurationPid;
      const problem = manager.configProblem;
      if (problem !== undefined) return [`Configuration "${pid}" cannot be used: ${problem}`, 'Fix it; the component picks the change up at once.'];
      const file = directory.config.locate?.(pid);
      return [`${manager.name} requires configuration "${pid}"${file ? ` (${file})` : ''}, which does not exist. Create it to activate the component.`];
    }
    case 'failed-activation': {
      const failure = manager.failure;
      return [
        `Activation failed${failure ? ` (${failure.code}): ${failure.message}` : ''}.`,
        'Fix the cause, then enable or restart the component to try again.',
      ];
    }
    case 'satisfied':
      return [`${manager.name} is a delayed component: its service is registered and it activates when a consumer first uses it.`];
    case 'activating': {
      const waits = directory.waits.waitingFor(manager).map((m) => m.name);
      return waits.length > 0 ? [`Activating; waiting for ${waits.join(', ')} to activate.`] : ['Activating (in its constructor, bind methods or activate()).'];
    }
    case 'deactivating':
      return [`Deactivating (${manager.lastDeactivationReason ?? 'reason unknown'}).`];
    case 'unsatisfied-reference': {
      const lines = manager.references.filter((r) => !r.isSatisfied()).map((r) => explainReference(manager, r, directory));
      if (manager.blocked !== undefined) lines.push(`The last activation could not get a service: ${manager.blocked}.`);
      return lines;
    }
  }
}

function explainReference(owner: ComponentManager, ref: ReferenceManager, directory: ComponentDirectory): string {
  const service = tokenName(ref.description.service);
  const target = ref.target;
  const head = `Reference "${ref.name}" (${ref.description.cardinality} ${service}${target ? `, target ${target}` : ''}) has no service`;
  const rejected = ref.rejected();
  const matching = providersOf(ref, owner, directory);
  // Services that do not match, and no component that would: the target (or the providers) must change.
  // A component that would match, but does not provide now, is the cause to follow instead.
  if (target !== undefined && rejected.length > 0 && matching.length === 0) {
    const shown = rejected.slice(0, 3).map((r) => describeRejected(r, target)).join('; ');
    return `${head}: ${rejected.length} ${service} service(s) exist but none matches the target (${shown}). Change the target or the providers' properties.`;
  }
  const candidates = [...directory.managers()].filter((m) => m !== owner && m.description.services.includes(ref.description.service));
  if (matching.length === 0) {
    const hint = directory.providerHint?.(service);
    const filtered = candidates.length > matching.length ? ` (${candidates.map((m) => m.name).join(', ')} provide it, but their properties do not match the target)` : '';
    return `${head}: nothing provides ${service}${filtered}.${hint ? ` ${hint}` : ` Register a component that provides ${service}.`}`;
  }
  const cycle = findMandatoryCycle(owner, directory);
  if (cycle) {
    return `${head}: ${cycle.join(' → ')} is a cycle of mandatory references, so none of them can start. Make one of these references optional (0..1 or 0..n) to break it.`;
  }
  const reasons = matching.map((m) => `${m.name} is ${m.state}${rootCause(m, directory, new Set([owner]))}`);
  return `${head}: ${reasons.join('; ')}.`;
}

/** Follows a provider that is not there down to what stops it, e.g. ` ("bottom" needs Bottom: bottom is disabled)`. */
function rootCause(provider: ComponentManager, directory: ComponentDirectory, seen: Set<ComponentManager>): string {
  if (provider.state === 'failed-activation' && provider.failure) return ` (${provider.failure.message})`;
  if (provider.state === 'disabled') return provider.isEnabled ? ' (container not started)' : '';
  if (provider.state !== 'unsatisfied-reference' || seen.has(provider) || seen.size > 8) return '';
  seen.add(provider);
  const parts = provider.references
    .filter((r) => !r.isSatisfied())
    .map((r) => {
      const service = tokenName(r.description.service);
      const providers = providersOf(r, provider, directory);
      if (providers.length === 0) return `"${r.name}" needs ${service}, which nothing provides`;
      return `"${r.name}" needs ${service}: ${providers.map((p) => `${p.name} is ${p.state}${rootCause(p, directory, seen)}`).join('; ')}`;
    });
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/** Components that declare the reference's service with properties matching its target. */
function providersOf(ref: ReferenceManager, owner: ComponentManager, directory: ComponentDirectory): ComponentManager[] {
  const target = ref.target === undefined ? undefined : parseFilter(ref.target);
  return [...directory.managers()].filter(
    (m) => m !== owner && m.description.services.includes(ref.description.service) && (!target || matchFilter(target, m.properties)),
  );
}

function describeRejected(record: ServiceRecord, target: string): string {
  const attrs = filterAttributes(parseFilter(target).root);
  const properties = redactSecrets(record.properties, secretMarksOf(record.provider.propertySchema));
  const shown = attrs.map((a) => `${a}=${JSON.stringify(properties[a])}`).join(', ');
  const from = record.provider.componentName === undefined ? '' : ` from ${record.provider.componentName}`;
  return `service ${record.id}${from} has ${shown || 'other properties'}`;
}

function filterAttributes(node: FilterNode): string[] {
  if ('filters' in node) return [...new Set(node.filters.flatMap(filterAttributes))];
  if (node.op === 'not') return filterAttributes(node.filter);
  return [node.attr];
}

/**
 * A cycle through unsatisfied mandatory references starting at `start`, as component names
 * (`A → B → A`), if there is one: each component needs a service only the next one could provide.
 */
export function findMandatoryCycle(start: ComponentManager, directory: ComponentDirectory): string[] | undefined {
  const all = [...directory.managers()];
  const needs = (m: ComponentManager): ComponentManager[] =>
    m.references
      .filter((r) => r.mandatory && !r.isSatisfied())
      .flatMap((r) => all.filter((p) => p !== m && p.description.services.includes(r.description.service) && p.serviceRecord === undefined));
  const path: ComponentManager[] = [start];
  const visited = new Set<ComponentManager>();
  const walk = (m: ComponentManager): boolean => {
    for (const next of needs(m)) {
      if (next === start) return true;
      if (visited.has(next)) continue;
      visited.add(next);
      path.push(next);
      if (walk(next)) return true;
      path.pop();
    }
    return false;
  };
  return walk(start) ? [...path, start].map((m) => m.name) : undefined;
}
