import semver from 'semver';
import { featureId, type FeatureDefinition } from './FeatureDefinition.js';

/** A range asked for a feature, by whom (for messages), and by which feature name (none: the request). */
export interface Ask {
  readonly range: string | undefined;
  readonly by: string;
  readonly from: string | undefined;
}

export interface VersionSource {
  /** The versions of `name` to try, best first. */
  candidates(name: string): readonly FeatureDefinition[];
  /** Why no version of `name` satisfies `asks`. */
  conflict(name: string, asks: readonly Ask[]): string;
}

/** Versions tried at most for one install (features are few; this only bounds a pathological file). */
const SEARCH_BUDGET = 100_000;

/**
 * One version for every feature name reachable from `requests`, such that every range asked for a name (by
 * a request, or by a chosen feature's dependency) is satisfied; each name gets the first candidate that
 * allows a solution. A depth-first search, in the order names are first asked for, that keeps the ranges
 * asked so far up to date as it chooses and backs out (so a closure without conflicts costs one pass), and
 * that, when a choice fails, jumps back to the latest choice that took part in the conflict rather than
 * retrying every unrelated choice in between (conflict-directed backjumping).
 */
export function chooseVersions(
  requests: readonly { readonly name: string; readonly range?: string }[],
  source: VersionSource,
): { chosen: Map<string, FeatureDefinition>; problems: string[] } {
  const chosen = new Map<string, FeatureDefinition>();
  const asks = new Map<string, Ask[]>();
  // Names in the order they were first asked for: the chosen ones are always its first chosen.size.
  const order: string[] = [];
  const ask = (name: string, range: string | undefined, by: string, from: string | undefined): void => {
    let list = asks.get(name);
    if (!list) {
      asks.set(name, (list = []));
      order.push(name);
    }
    list.push({ range, by, from });
  };
  /** Undoes the last `ask` for `name` (undone strictly in reverse). */
  const unask = (name: string): void => {
    const list = asks.get(name) as Ask[];
    list.pop();
    if (list.length === 0) {
      asks.delete(name);
      order.pop();
    }
  };
  for (const request of requests) ask(request.name, request.range, 'the request', undefined);

  let budget = SEARCH_BUDGET;
  let deepest: { depth: number; problem: string } | undefined;
  const note = (problem: string): void => {
    if (!deepest || chosen.size > deepest.depth) deepest = { depth: chosen.size, problem };
  };

  /** Chooses the remaining names; undefined when it did, else the names whose choices caused the failure. */
  const search = (): Set<string> | undefined => {
    const name = order[chosen.size];
    if (name === undefined) return undefined;
    const list = asks.get(name) as Ask[];
    // Without those who asked for it, this name would not be here: they share every failure below.
    const culprits = new Set(list.flatMap((a) => (a.from === undefined ? [] : [a.from])));
    for (const candidate of source.candidates(name)) {
      if (!list.every((a) => satisfies(candidate, a.range))) {
        note(source.conflict(name, list));
        continue;
      }
      const clash = candidate.dependencies.find((d) => {
        const other = chosen.get(d.name);
        return other !== undefined && !satisfies(other, d.range);
      });
      if (clash) {
        culprits.add(clash.name);
        note(source.conflict(clash.name, [...(asks.get(clash.name) ?? []), { range: clash.range, by: featureId(candidate), from: name }]));
        continue;
      }
      if (--budget < 0) return culprits;
      chosen.set(name, candidate);
      for (const dep of candidate.dependencies) ask(dep.name, dep.range, featureId(candidate), name);
      const failed = search();
      if (failed === undefined) return undefined;
      for (const dep of [...candidate.dependencies].reverse()) unask(dep.name);
      chosen.delete(name);
      if (budget < 0 || !failed.has(name)) return failed;
      for (const culprit of failed) if (culprit !== name) culprits.add(culprit);
    }
    return culprits;
  };

  if (search() === undefined) return { chosen, problems: [] };
  const problem = deepest?.problem ?? 'no set of versions satisfies every range';
  if (budget < 0) return { chosen: new Map(), problems: [`no set of versions was found within ${SEARCH_BUDGET} tries (the last conflict: ${problem}); ask for versions explicitly (name@range)`] };
  return { chosen: new Map(), problems: [problem] };
}

function satisfies(feature: FeatureDefinition, range: string | undefined): boolean {
  return range === undefined || semver.satisfies(feature.version, range, { includePrerelease: true });
}
