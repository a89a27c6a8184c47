import type { ErrorCode } from '../errors/ErrorCode.js';

/** A dependency of a feature on another, by name and optional semver range. */
export interface FeatureDependency {
  readonly name: string;
  /** A semver range; without one, the highest version. */
  readonly range?: string;
  /** Where it is written, e.g. `$.features[2].features[0]`. */
  readonly path: string;
}

/** A component module of a feature: as written, and as the absolute path it resolves to. */
export interface FeatureModule {
  readonly path: string;
  readonly file: string;
}

/** One feature, read and checked from a features file. */
export interface FeatureDefinition {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly dependencies: readonly FeatureDependency[];
  readonly modules: readonly FeatureModule[];
  /** Configurations the feature brings, by PID (applied when the user has none). */
  readonly config: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** `auto`: installed as soon as its file is read (for features files dropped in deploy/). */
  readonly install: 'auto' | 'manual';
  /** The features file it comes from (as shown to people). */
  readonly source: string;
  /** Its place in that file, e.g. `$.features[2]`. */
  readonly path: string;
}

/** A features file, read. */
export interface FeaturesDocument {
  readonly source: string;
  readonly features: readonly FeatureDefinition[];
  readonly boot: readonly { readonly name: string; readonly path: string }[];
  /** Names of entries left out for their own problems (so that what needs them is not reported too). */
  readonly rejected?: readonly string[];
}

/** One problem found in features files. */
export interface FeatureProblem {
  readonly code: ErrorCode;
  readonly file: string;
  /** JSON path, and line/column for syntax errors. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export function featureId(feature: { readonly name: string; readonly version: string }): string {
  return `${feature.name}@${feature.version}`;
}

/** A problem as one line: `features.json $.features[1].name: ...`. */
export function formatProblem(problem: FeatureProblem): string {
  // file:line:column, as editors and terminals link it; a JSON path after the file otherwise.
  if (problem.line !== undefined) return `${problem.file}:${problem.line}:${problem.column ?? 1}: ${problem.message}`;
  return `${problem.file} ${problem.path}: ${problem.message}`;
}
