import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import semver from 'semver';
import { checkPid } from '../config/ConfigAdmin.js';
import { ErrorCode } from '../errors/ErrorCode.js';
import { LatticeError } from '../errors/LatticeError.js';
import { jsonPath } from '../json/jsonPath.js';
import { parseJsonFile } from '../json/parseJsonFile.js';
import type { FeatureDefinition, FeatureDependency, FeatureModule, FeatureProblem, FeaturesDocument } from './FeatureDefinition.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TOP_KEYS = new Set(['$schema', 'include', 'features', 'boot']);
const FEATURE_KEYS = new Set(['name', 'version', 'description', 'features', 'components', 'config', 'install']);

export interface FeaturesFileOptions {
  /** How the file is named to people (default: its path). */
  readonly source?: string;
  /** The folder module paths must stay inside (default: the file's folder). */
  readonly root?: string;
  /** Files that include this one, outermost first (to refuse a circle of includes). */
  readonly includedBy?: readonly string[];
}

/** Reads a features file: see `checkFeaturesDocument`. A JSON syntax error is a problem with line and column. */
export async function readFeaturesFile(file: string, options: FeaturesFileOptions = {}): Promise<{ document: FeaturesDocument; problems: FeatureProblem[] }> {
  const source = options.source ?? file;
  let data: unknown;
  try {
    data = parseJsonFile(await readFile(file, 'utf8'), source);
  } catch (error) {
    return { document: { source, features: [], boot: [] }, problems: [syntaxProblem(error, source)] };
  }
  return checkFeaturesDocument(data, file, options);
}

/** A JSON syntax error (or an unreadable file) as a feature problem. */
export function syntaxProblem(error: unknown, source: string): FeatureProblem {
  if (LatticeError.is(error, ErrorCode.JSON_SYNTAX)) {
    const { line, column } = error.details;
    return {
      code: ErrorCode.JSON_SYNTAX,
      file: source,
      path: '$',
      ...(line !== undefined && { line }),
      ...(column !== undefined && { column }),
      message: error.message.replace(/^.*?: invalid JSON: /, 'invalid JSON: '),
    };
  }
  return { code: ErrorCode.FEATURES_INVALID, file: source, path: '$', message: `cannot read the file: ${(error as Error).message}` };
}

/**
 * Checks the parsed content of a features file: everything that can be checked within it (shape, names,
 * versions, ranges, PIDs, and that each module path exists inside the root). Returns every problem
 * found, not just the first; checks across files are the catalog's.
 */
export async function checkFeaturesDocument(
  data: unknown,
  file: string,
  options: FeaturesFileOptions = {},
): Promise<{ document: FeaturesDocument; problems: FeatureProblem[] }> {
  const source = options.source ?? file;
  const root = options.root ?? dirname(file);
  const problems: FeatureProblem[] = [];
  const empty: FeaturesDocument = { source, features: [], boot: [] };
  const problem = (code: ErrorCode, path: (string | number)[], message: string): void => {
    problems.push({ code, file: source, path: jsonPath(path), message });
  };
  if (!isObject(data)) {
    problem(ErrorCode.FEATURE_DEFINITION_INVALID, [], 'a features file is an object: { "features": [...], "boot": [...] }');
    return { document: empty, problems };
  }
  for (const key of Object.keys(data)) {
    if (!TOP_KEYS.has(key)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, [key], `unknown key "${key}"; expected "features", "boot", "include" or "$schema"`);
  }
  const features: FeatureDefinition[] = [];
  const rejected: string[] = [];
  await readIncludes(data.include, file, options.includedBy ?? [], problem, (included) => {
    features.push(...included.document.features);
    rejected.push(...(included.document.rejected ?? []));
    problems.push(...included.problems);
  });
  const list = data.features ?? [];
  if (!Array.isArray(list)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, ['features'], 'must be an array of features');
  else {
    for (const [i, entry] of list.entries()) {
      // An entry with problems of its own (a module path, say) still takes part in the checks that span
      // features (duplicates, ranges), so that every problem is reported at once; a file with problems
      // is never applied anyway. Only an entry of the wrong shape is left out (its name kept).
      const feature = await readFeature(entry, ['features', i], dirname(file), root, source, problem);
      if (feature) features.push(feature);
      else if (isObject(entry) && typeof entry.name === 'string') rejected.push(entry.name);
    }
  }
  const boot: { name: string; path: string }[] = [];
  const bootList = data.boot ?? [];
  if (!Array.isArray(bootList)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, ['boot'], 'must be an array of feature names');
  else {
    bootList.forEach((name, i) => {
      if (typeof name !== 'string' || !NAME.test(name)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, ['boot', i], 'must be a feature name');
      else boot.push({ name, path: jsonPath(['boot', i]) });
    });
  }
  return { document: { source, features, boot, rejected }, problems };
}

type Report = (code: ErrorCode, path: (string | number)[], message: string) => void;

/**
 * The features of the files `include` names: each a path relative to the including file, or a package's
 * file (`@lattice-scr/lattice/features.json`, found as Node finds packages from the including file's
 * folder). Their modules are relative to their own folder; their `boot` lists are not used.
 */
async function readIncludes(
  include: unknown,
  file: string,
  includedBy: readonly string[],
  problem: Report,
  add: (included: { document: FeaturesDocument; problems: FeatureProblem[] }) => void,
): Promise<void> {
  if (include === undefined) return;
  if (!Array.isArray(include)) {
    problem(ErrorCode.FEATURE_DEFINITION_INVALID, ['include'], 'must be an array of features files: paths such as "./more.features.json", or a package\'s, such as "@lattice-scr/lattice/features.json"');
    return;
  }
  for (const [i, entry] of include.entries()) {
    if (typeof entry !== 'string' || entry === '') {
      problem(ErrorCode.FEATURE_DEFINITION_INVALID, ['include', i], 'must be the path of a features file, or a package\'s features file such as "@lattice-scr/lattice/features.json"');
      continue;
    }
    const found = locateInclude(entry, file);
    if (found === undefined) {
      problem(ErrorCode.FEATURE_DEFINITION_INVALID, ['include', i], `cannot find "${entry}" (from ${dirname(file)}); install the package that has it (npm install), or fix the path`);
      continue;
    }
    const real = await realpath(found).catch(() => found);
    if (includedBy.includes(real) || real === (await realpath(file).catch(() => file))) {
      problem(ErrorCode.FEATURE_DEFINITION_INVALID, ['include', i], `"${entry}" includes this file again (a circle of includes); remove one of them`);
      continue;
    }
    add(await readFeaturesFile(real, { source: entry, root: dirname(real), includedBy: [...includedBy, await realpath(file).catch(() => file)] }));
  }
}

/** A relative or absolute path from the including file's folder, or a package specifier resolved from it. */
function locateInclude(entry: string, file: string): string | undefined {
  if (entry.startsWith('./') || entry.startsWith('../') || isAbsolute(entry)) {
    const path = resolve(dirname(file), entry);
    return existsSync(path) ? path : undefined;
  }
  try {
    return createRequire(file).resolve(entry);
  } catch {
    return undefined;
  }
}

/** One feature entry; undefined (with problems reported) when it has the wrong shape. */
async function readFeature(
  entry: unknown,
  at: (string | number)[],
  folder: string,
  root: string,
  source: string,
  problem: Report,
): Promise<FeatureDefinition | undefined> {
  if (!isObject(entry)) {
    problem(ErrorCode.FEATURE_DEFINITION_INVALID, at, 'a feature is an object with at least a "name"');
    return undefined;
  }
  for (const key of Object.keys(entry)) {
    if (!FEATURE_KEYS.has(key)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, key], `unknown key "${key}"; expected one of ${[...FEATURE_KEYS].join(', ')}`);
  }
  const { name } = entry;
  if (typeof name !== 'string' || !NAME.test(name)) {
    problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'name'], 'a feature needs a "name" of letters, digits, ".", "_" and "-"');
  }
  const version = entry.version ?? '0.0.0';
  const cleanVersion = typeof version === 'string' ? semver.valid(version) : null;
  if (cleanVersion === null) problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'version'], `${JSON.stringify(version)} is not a semver version such as "1.2.0"`);
  const description = entry.description ?? '';
  if (typeof description !== 'string') problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'description'], 'must be a string');
  const install = entry.install ?? 'manual';
  if (install !== 'auto' && install !== 'manual') problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'install'], 'must be "auto" or "manual"');

  const dependencies: FeatureDependency[] = [];
  const deps = entry.features ?? [];
  if (!Array.isArray(deps)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'features'], 'must be an array of feature names or { "name", "version" } ranges');
  else {
    deps.forEach((dep, j) => {
      const path = [...at, 'features', j];
      if (typeof dep === 'string' && NAME.test(dep)) dependencies.push({ name: dep, path: jsonPath(path) });
      else if (isObject(dep) && typeof dep.name === 'string' && NAME.test(dep.name)) {
        const range = dep.version;
        if (range !== undefined && (typeof range !== 'string' || semver.validRange(range) === null)) {
          problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...path, 'version'], `${JSON.stringify(range)} is not a semver range such as "^1.2.0" or ">=1.0.0 <2"`);
        } else dependencies.push({ name: dep.name, ...(range !== undefined && { range }), path: jsonPath(path) });
      } else problem(ErrorCode.FEATURE_DEFINITION_INVALID, path, 'must be a feature name, or { "name": ..., "version": "<semver range>" }');
    });
  }

  const modules: FeatureModule[] = [];
  const components = entry.components ?? [];
  if (!Array.isArray(components)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'components'], 'must be an array of module paths');
  else {
    for (const [j, path] of components.entries()) {
      const where = [...at, 'components', j];
      if (typeof path !== 'string' || path === '') {
        problem(ErrorCode.FEATURE_DEFINITION_INVALID, where, 'must be a module path such as "components/host/index.js"');
        continue;
      }
      const located = await locateModule(path, folder, root);
      if (typeof located === 'string') modules.push({ path, file: located });
      else problem(located.code, where, located.message);
    }
  }

  const config: Record<string, Record<string, unknown>> = {};
  const configs = entry.config ?? {};
  if (!isObject(configs)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'config'], 'must be an object of PID → configuration object');
  else {
    for (const [pid, values] of Object.entries(configs)) {
      try {
        checkPid(pid);
      } catch (error) {
        problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'config', pid], (error as Error).message);
        continue;
      }
      if (!isObject(values)) problem(ErrorCode.FEATURE_DEFINITION_INVALID, [...at, 'config', pid], 'a configuration is a JSON object');
      else config[pid] = values;
    }
  }
  if (typeof name !== 'string' || cleanVersion === null) return undefined;
  return {
    name,
    version: cleanVersion,
    description: typeof description === 'string' ? description : '',
    dependencies,
    modules,
    config,
    install: install === 'auto' ? 'auto' : 'manual',
    source,
    path: jsonPath(at),
  };
}

/** The module file a path names (a folder means its index.js or index.mjs), checked to exist inside `root`. */
async function locateModule(path: string, folder: string, root: string): Promise<string | { code: ErrorCode; message: string }> {
  const absolute = isAbsolute(path) ? path : resolve(folder, path);
  const realRoot = await realpath(root).catch(() => resolve(root));
  const outside = (candidate: string, base = realRoot): boolean => {
    const rel = relative(base, candidate);
    return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  };
  let real: string;
  try {
    real = await realpath(absolute);
  } catch {
    // Not there: judge the path as written, against the root as written (it may be a symlink).
    if (outside(absolute, resolve(root))) return { code: ErrorCode.FEATURE_MODULE_OUTSIDE_ROOT, message: `"${path}" is outside the distribution folder ${realRoot}; modules must stay inside it` };
    return { code: ErrorCode.FEATURE_MODULE_MISSING, message: `module "${path}" does not exist (looked for ${absolute}); build it, or fix the path` };
  }
  if (outside(real)) return { code: ErrorCode.FEATURE_MODULE_OUTSIDE_ROOT, message: `"${path}" is outside the distribution folder ${realRoot}; modules must stay inside it` };
  const info = await stat(real);
  if (!info.isDirectory()) return real;
  for (const index of ['index.js', 'index.mjs']) {
    const candidate = join(real, index);
    if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  return { code: ErrorCode.FEATURE_MODULE_MISSING, message: `folder "${path}" has no index.js or index.mjs` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
