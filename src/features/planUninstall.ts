import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';

/** What the planner needs of an installed feature. */
export interface InstalledNode {
  /** Asked for by name: it keeps what it requires installed. */
  readonly explicit: boolean;
  /** The installed features it depends on directly. */
  readonly requires: readonly string[];
}

/** What the planner needs of an installed module. */
export interface ModuleNode {
  readonly components: readonly string[];
  /** The installed features that use it. */
  readonly users: ReadonlySet<string>;
}

export interface UninstallPlan {
  /** Installed features that need the targets (uninstalled too: the plan was forced). */
  readonly dependents: readonly string[];
  /** Every feature that goes: the targets, their dependents, and what only they needed. */
  readonly removed: readonly string[];
  /** Module files no remaining feature uses. */
  readonly modules: readonly string[];
  /** The components of those modules. */
  readonly components: readonly string[];
}

/** Every installed feature `name` needs, directly or not. */
function requiredFeatures(installed: ReadonlyMap<string, InstalledNode>, name: string): Set<string> {
  const found = new Set<string>();
  const stack = [...(installed.get(name)?.requires ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (found.has(next)) continue;
    found.add(next);
    stack.push(...(installed.get(next)?.requires ?? []));
  }
  return found;
}

/**
 * What uninstalling `targets` takes away: they go, with (forced) the installed features that need them, and
 * every feature nothing that stays asked for needs any more; then the modules only those used.
 * @throws LatticeError FEATURE_REQUIRED when installed features need a target and `force` is not set.
 */
export function planUninstall(installed: ReadonlyMap<string, InstalledNode>, modules: ReadonlyMap<string, ModuleNode>, targets: ReadonlySet<string>, force: boolean): UninstallPlan {
  const needs = new Map([...installed.keys()].map((name) => [name, requiredFeatures(installed, name)]));
  const dependents = [...installed.keys()].filter((name) => !targets.has(name) && [...(needs.get(name) ?? [])].some((n) => targets.has(n)));
  if (dependents.length > 0 && !force) {
    const why = dependents.map((d) => `${d} needs ${[...(needs.get(d) ?? [])].filter((n) => targets.has(n)).join(', ')}`).join('; ');
    throw new LatticeError(
      ErrorCode.FEATURE_REQUIRED,
      `Cannot uninstall ${[...targets].join(', ')}: installed features need ${targets.size === 1 ? 'it' : 'them'} (${why}). Uninstall ${dependents.join(', ')} first, or force it to uninstall them too.`,
      { features: [...targets], requiredBy: dependents },
    );
  }
  const going = new Set([...targets, ...dependents]);
  // What stays: the features still asked for, and everything they need.
  const keep = new Set<string>();
  for (const [name, feature] of installed) {
    if (feature.explicit && !going.has(name)) for (const n of [name, ...(needs.get(name) ?? [])]) keep.add(n);
  }
  const removed = [...installed.keys()].filter((name) => !keep.has(name));
  const removedSet = new Set(removed);
  const goingModules = [...modules].filter(([, module]) => [...module.users].every((user) => removedSet.has(user)));
  return { dependents, removed, modules: goingModules.map(([file]) => file), components: goingModules.flatMap(([, module]) => module.components) };
}
