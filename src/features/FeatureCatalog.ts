import semver from 'semver';
import { ErrorCode } from '../errors/ErrorCode.js';
import { chooseVersions, type Ask } from './chooseVersions.js';
import { featureId, type FeatureDefinition, type FeatureDependency, type FeatureProblem, type FeaturesDocument } from './FeatureDefinition.js';

/** A request for a feature: a name, and optionally a semver range (default: the highest version). */
export interface FeatureRequest {
  readonly name: string;
  readonly range?: string;
}

/**
 * The features of every features file, and the checks that span them: duplicates, unknown or
 * unsatisfiable dependencies, cycles, unknown boot names. Resolves a request to its transitive closure.
 */
export class FeatureCatalog {
  private readonly byName = new Map<string, FeatureDefinition[]>();

  private readonly rejected: ReadonlySet<string>;

  constructor(readonly documents: readonly FeaturesDocument[]) {
    this.rejected = new Set(documents.flatMap((d) => d.rejected ?? []));
    for (const feature of documents.flatMap((d) => d.features)) {
      const list = this.byName.get(feature.name) ?? [];
      list.push(feature);
      this.byName.set(feature.name, list);
    }
    for (const list of this.byName.values()) list.sort((a, b) => semver.rcompare(a.version, b.version));
  }

  all(): FeatureDefinition[] {
    return [...this.byName.values()].flat().sort((a, b) => a.name.localeCompare(b.name) || semver.rcompare(a.version, b.version));
  }

  /** The highest version of `name` in `range` (any version without one). */
  find(name: string, range?: string): FeatureDefinition | undefined {
    const list = this.byName.get(name) ?? [];
    return range === undefined ? list[0] : list.find((f) => semver.satisfies(f.version, range, { includePrerelease: true }));
  }

  /** The boot feature names of every document, in order, without repeats. */
  boot(): string[] {
    return [...new Set(this.documents.flatMap((d) => d.boot.map((b) => b.name)))];
  }

  /** Problems that span features: every one found. */
  problems(): FeatureProblem[] {
    const problems: FeatureProblem[] = [];
    const seen = new Map<string, FeatureDefinition>();
    for (const feature of this.documents.flatMap((d) => d.features)) {
      const id = featureId(feature);
      const first = seen.get(id);
      if (first) {
        problems.push({
          code: ErrorCode.FEATURE_DUPLICATE,
          file: feature.source,
          path: `${feature.path}.name`,
          message: `feature ${id} is defined twice (also at ${first.source} ${first.path}); change one version or name`,
        });
      } else seen.set(id, feature);
      for (const dep of feature.dependencies) {
        const problem = this.rejected.has(dep.name) ? undefined : this.dependencyProblem(feature, dep);
        if (problem) problems.push(problem);
      }
    }
    for (const document of this.documents) {
      for (const boot of document.boot) {
        if (!this.byName.has(boot.name) && !this.rejected.has(boot.name)) {
          problems.push({ code: ErrorCode.FEATURE_NOT_FOUND, file: document.source, path: boot.path, message: `boot feature "${boot.name}" is not defined${this.suggest(boot.name)}; define it in a features file, or take it out of "boot"` });
        }
      }
    }
    problems.push(...this.cycles());
    return problems;
  }

  /** The features a feature depends on, resolved (missing ones left out). */
  dependenciesOf(feature: FeatureDefinition): FeatureDefinition[] {
    return feature.dependencies.flatMap((dep) => this.find(dep.name, dep.range) ?? []);
  }

  /**
   * The features to install for `requests`, dependencies before dependents, each once, and the names
   * each one requires. One version of each name (two would register the same components twice): the
   * highest that satisfies every range asked for it, where a bare name asks for any version. The version
   * `installed(name)` gives is preferred wherever it fits, so installing a dependent does not ask for an
   * upgrade. Problems: unknown names, ranges nothing satisfies, ranges no one version satisfies together,
   * cycles.
   */
  closure(
    requests: readonly FeatureRequest[],
    installed: (name: string) => string | undefined = () => undefined,
  ): { features: FeatureDefinition[]; requires: Map<FeatureDefinition, string[]>; problems: string[] } {
    const { chosen, problems } = chooseVersions(requests, {
      candidates: (name) => this.candidates(name, installed(name)),
      conflict: (name, asks) => this.conflict(name, asks),
    });
    const order: FeatureDefinition[] = [];
    const requires = new Map<FeatureDefinition, string[]>();
    const state = new Map<FeatureDefinition, 'visiting' | 'done'>();
    const chain: FeatureDefinition[] = [];
    const visit = (feature: FeatureDefinition): void => {
      const mark = state.get(feature);
      if (mark === 'done') return;
      if (mark === 'visiting') {
        const cycle = [...chain.slice(chain.indexOf(feature)), feature].map(featureId);
        problems.push(`features depend on each other in a circle: ${cycle.join(' → ')}`);
        return;
      }
      state.set(feature, 'visiting');
      chain.push(feature);
      const names: string[] = [];
      for (const dep of feature.dependencies) {
        const target = chosen.get(dep.name);
        if (!target) continue;
        names.push(target.name);
        visit(target);
      }
      chain.pop();
      requires.set(feature, [...new Set(names)]);
      state.set(feature, 'done');
      order.push(feature);
    };
    for (const request of requests) {
      const feature = chosen.get(request.name);
      if (feature) visit(feature);
    }
    return { features: order, requires, problems: [...new Set(problems)] };
  }

  /** The versions of `name` to try, best first: the installed one, then from the highest down. */
  private candidates(name: string, installedVersion: string | undefined): FeatureDefinition[] {
    const list = this.byName.get(name) ?? [];
    const current = list.find((f) => f.version === installedVersion);
    return current ? [current, ...list.filter((f) => f !== current)] : list;
  }

  /** Why no version of `name` satisfies everyone who asks for it. */
  private conflict(name: string, asks: readonly Ask[]): string {
    const alone = asks.find((a) => !this.find(name, a.range));
    if (alone) {
      const request = { name, ...(alone.range !== undefined && { range: alone.range }) };
      return alone.by === 'the request' ? `no feature ${describe(request)}: ${this.missing(request)}` : `${alone.by} needs ${describe(request)}: ${this.missing(request)}`;
    }
    const who = asks.map((a) => `${a.by === 'the request' ? 'the request asks for' : `${a.by} needs`} ${a.range ?? 'any version'}`).join(', ');
    const versions = [...new Set((this.byName.get(name) ?? []).map((f) => f.version))].join(', ');
    return `no one version of "${name}" satisfies everything that needs it (${who}; defined: ${versions}); align the ranges, or define a version that fits them all`;
  }

  private dependencyProblem(feature: FeatureDefinition, dep: FeatureDependency): FeatureProblem | undefined {
    if (this.find(dep.name, dep.range)) return undefined;
    const known = this.byName.has(dep.name);
    return {
      code: known ? ErrorCode.FEATURE_VERSION_UNSATISFIED : ErrorCode.FEATURE_NOT_FOUND,
      file: feature.source,
      path: dep.path,
      message: `${featureId(feature)} needs ${describe(dep)}: ${this.missing(dep)}`,
    };
  }

  private missing(request: FeatureRequest): string {
    const versions = [...new Set((this.byName.get(request.name) ?? []).map((f) => f.version))];
    if (versions.length === 0) return `no feature of that name is defined${this.suggest(request.name) || '; define it, or correct the name'}`;
    return `no version satisfies ${request.range ?? '*'} (defined: ${versions.join(', ')}); change the range, or define a version that fits`;
  }

  /** Why a feature asked for by name cannot be found, with a "did you mean"; undefined if it is defined. */
  unknown(name: string): string | undefined {
    if (this.byName.has(name.split('@')[0] ?? name)) return undefined;
    return `no feature "${name}" is defined${this.suggest(name)}; known: ${[...this.byName.keys()].sort().join(', ') || 'none'}`;
  }

  private suggest(name: string): string {
    const close = [...this.byName.keys()].filter((known) => editDistance(known, name) <= 2);
    return close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
  }

  /** Every dependency cycle once, each reported at the first feature of the cycle in file order. */
  private cycles(): FeatureProblem[] {
    const problems: FeatureProblem[] = [];
    const reported = new Set<string>();
    const state = new Map<FeatureDefinition, 'visiting' | 'done'>();
    const visit = (feature: FeatureDefinition, chain: FeatureDefinition[]): void => {
      if (state.get(feature) === 'done') return;
      if (state.get(feature) === 'visiting') {
        const cycle = chain.slice(chain.indexOf(feature));
        const key = [...cycle.map(featureId)].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          const names = [...cycle, feature].map(featureId).join(' → ');
          problems.push({ code: ErrorCode.FEATURE_CYCLE, file: feature.source, path: `${feature.path}.features`, message: `features depend on each other in a circle: ${names}; remove one of these dependencies` });
        }
        return;
      }
      state.set(feature, 'visiting');
      for (const dep of this.dependenciesOf(feature)) visit(dep, [...chain, feature]);
      state.set(feature, 'done');
    };
    for (const feature of this.documents.flatMap((d) => d.features)) visit(feature, []);
    return problems;
  }
}

function describe(request: FeatureRequest): string {
  return request.range === undefined ? `"${request.name}"` : `"${request.name}" ${request.range}`;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}
