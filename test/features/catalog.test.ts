import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ErrorCode } from '@lattice-scr/lattice';
import { FeatureCatalog } from '../../src/features/FeatureCatalog.js';
import { formatProblem } from '../../src/features/FeatureDefinition.js';
import { readFeaturesFile } from '../../src/features/readFeaturesFile.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
afterEach(() => homes.cleanup());

async function catalogOf(features: object, extraFiles: Record<string, string> = {}) {
  const root = await homes.make();
  await writeFiles(root, { 'features.json': features, ...extraFiles });
  const { document, problems } = await readFeaturesFile(`${root}/features.json`, { source: 'features.json' });
  const catalog = new FeatureCatalog([document]);
  return { root, catalog, problems: [...problems, ...catalog.problems()] };
}

describe('features.json: reading and resolution', () => {
  test('closure: dependencies first, each once; a bare name means the highest version; a range the highest match', async () => {
    const { catalog, problems } = await catalogOf({
      features: [
        { name: 'api', version: '1.0.0' },
        { name: 'api', version: '1.4.2' },
        { name: 'api', version: '2.0.0' },
        { name: 'core', version: '1.0.0', features: [{ name: 'api', version: '^1.0.0' }] },
        { name: 'app', version: '1.0.0', features: ['core', 'api'] },
        { name: 'app2', version: '1.0.0', features: ['core', { name: 'api', version: '^2' }] },
        { name: 'unversioned' },
      ],
    });
    expect(problems).toEqual([]);
    const { features, problems: closureProblems } = catalog.closure([{ name: 'app' }]);
    expect(closureProblems).toEqual([]);
    // core needs api ^1; app asks for any api: one version serves both, the highest that fits both.
    expect(features.map((f) => `${f.name}@${f.version}`)).toEqual(['api@1.4.2', 'core@1.0.0', 'app@1.0.0']);
    // Alone, "api" is the highest; with 1.0.0 installed, that one is kept where it fits.
    expect(catalog.closure([{ name: 'api' }]).features.map((f) => f.version)).toEqual(['2.0.0']);
    expect(catalog.closure([{ name: 'app' }], (name) => (name === 'api' ? '1.0.0' : undefined)).features.map((f) => `${f.name}@${f.version}`)).toEqual(['api@1.0.0', 'core@1.0.0', 'app@1.0.0']);
    // Ranges that no one version satisfies together are a problem, not two versions side by side.
    expect(catalog.closure([{ name: 'app2' }]).problems).toEqual([
      'no one version of "api" satisfies everything that needs it (app2@1.0.0 needs ^2, core@1.0.0 needs ^1.0.0; defined: 2.0.0, 1.4.2, 1.0.0); align the ranges, or define a version that fits them all',
    ]);
    // A choice that rules out an earlier one is backed out of, not kept or looped over.
    const tangled = new FeatureCatalog([
      (
        await catalogOf({
          features: [
            { name: 'a', version: '1.0.0' },
            { name: 'a', version: '2.0.0', features: [{ name: 'b', version: '^1' }, { name: 'c', version: '^2' }] },
            { name: 'b', version: '1.0.0', features: [{ name: 'a', version: '^1' }, { name: 'c', version: '^2' }] },
            { name: 'b', version: '2.0.0' },
            { name: 'c', version: '1.0.0', features: [{ name: 'a', version: '^1' }] },
            { name: 'c', version: '2.0.0', features: [{ name: 'a', version: '^2' }] },
            { name: 'x', version: '1.0.0' },
            { name: 'x', version: '2.0.0', features: [{ name: 'y', version: '^1' }] },
            { name: 'y', version: '1.0.0' },
            { name: 'y', version: '2.0.0', features: [{ name: 'x', version: '^1' }] },
          ],
        })
      ).catalog.documents[0]!,
    ]);
    const resolved = (names: string[]) => {
      const result = tangled.closure(names.map((name) => ({ name })));
      return [...result.features.map((f) => `${f.name}@${f.version}`), ...result.problems];
    };
    expect(resolved(['a', 'b'])).toEqual(['a@1.0.0', 'b@2.0.0']);
    expect(resolved(['x', 'y'])).toEqual(['y@1.0.0', 'x@2.0.0']);
    expect(tangled.closure([{ name: 'a', range: '^2' }, { name: 'b', range: '^2' }]).problems).toEqual([
      'no one version of "b" satisfies everything that needs it (the request asks for ^2, a@2.0.0 needs ^1; defined: 2.0.0, 1.0.0); align the ranges, or define a version that fits them all',
    ]);
    // A conflict found late goes back to the choice that caused it, past the unrelated ones in between.
    const between = Array.from({ length: 14 }, (_, i) => `d${i}`);
    const late = new FeatureCatalog([
      (
        await catalogOf({
          features: [
            { name: 'a', version: '1.0.0' },
            { name: 'a', version: '2.0.0', features: [...between, 'z'] },
            ...between.flatMap((name) => [{ name, version: '1.0.0' }, { name, version: '2.0.0' }]),
            { name: 'z', version: '1.0.0', features: [{ name: 'a', version: '^1' }] },
          ],
        })
      ).catalog.documents[0]!,
    ]);
    expect(late.closure([{ name: 'a' }])).toMatchObject({ problems: [], features: [{ name: 'a', version: '1.0.0' }] });
    // A long chain without conflicts resolves in one pass.
    const chain = new FeatureCatalog([
      (
        await catalogOf({
          features: Array.from({ length: 2000 }, (_, i) => ({ name: `f${i}`, version: '1.0.0', ...(i < 1999 && { features: [{ name: `f${i + 1}`, version: '^1' }] }) })),
        })
      ).catalog.documents[0]!,
    ]);
    const long = chain.closure([{ name: 'f0' }]);
    expect(long.problems).toEqual([]);
    expect(long.features).toHaveLength(2000);
    expect(long.features[0]?.name).toBe('f1999');
    expect(catalog.closure([{ name: 'api', range: '^3' }]).problems).toEqual(['no feature "api" ^3: no version satisfies ^3 (defined: 2.0.0, 1.4.2, 1.0.0); change the range, or define a version that fits']);
    expect(catalog.find('api')?.version).toBe('2.0.0');
    expect(catalog.find('api', '~1.0')?.version).toBe('1.0.0');
    expect(catalog.find('unversioned')?.version).toBe('0.0.0');
  });

  test('every problem is reported at once, each with its JSON path', async () => {
    const { problems } = await catalogOf(
      {
        features: [
          { name: 'a', version: '1.0.0', features: ['b'] },
          { name: 'b', version: '1.0.0', features: ['c'] },
          { name: 'c', version: '1.0.0', features: ['a'] },
          { name: 'dup', version: '1.0.0' },
          { name: 'dup', version: '1.0.0' },
          { name: 'needs-missing', features: ['nowhere', 'dupp'] },
          { name: 'needs-version', features: [{ name: 'dup', version: '>=2' }] },
          { name: 'bad-module', components: ['missing/index.js', '../outside.js', 'lib/ok.js'] },
          { name: 'bad version', version: 'one' },
          { name: 'bad-range', features: [{ name: 'dup', version: 'not a range' }] },
          { name: 'bad-config', config: { '../x': {}, 'ok': [1] } },
          // A feature with a problem of its own still counts in the checks across features.
          { name: 'bad-module', components: ['lib/ok.js'] },
          { name: 'needs-bad', features: [{ name: 'bad-module', version: '^3' }] },
        ],
        boot: ['ghost'],
        extra: true,
      },
      { 'lib/ok.js': 'export {};' },
    );
    const lines = problems.map(formatProblem);
    expect(lines).toEqual(
      expect.arrayContaining([
        'features.json $.extra: unknown key "extra"; expected "features", "boot", "include" or "$schema"',
        expect.stringMatching(/^features\.json \$\.features\[7\]\.components\[0\]: module "missing\/index\.js" does not exist/),
        expect.stringMatching(/^features\.json \$\.features\[7\]\.components\[1\]: "\.\.\/outside\.js" is outside the distribution folder/),
        'features.json $.features[8].name: a feature needs a "name" of letters, digits, ".", "_" and "-"',
        'features.json $.features[8].version: "one" is not a semver version such as "1.2.0"',
        'features.json $.features[9].features[0].version: "not a range" is not a semver range such as "^1.2.0" or ">=1.0.0 <2"',
        expect.stringMatching(/^features\.json \$\.features\[10\]\.config\["\.\.\/x"\]: "\.\.\/x" is not a valid configuration PID/),
        'features.json $.features[10].config.ok: a configuration is a JSON object',
        'features.json $.features[4].name: feature dup@1.0.0 is defined twice (also at features.json $.features[3]); change one version or name',
        'features.json $.features[5].features[0]: needs-missing@0.0.0 needs "nowhere": no feature of that name is defined; define it, or correct the name',
        'features.json $.features[5].features[1]: needs-missing@0.0.0 needs "dupp": no feature of that name is defined (did you mean "dup"?)',
        'features.json $.features[6].features[0]: needs-version@0.0.0 needs "dup" >=2: no version satisfies >=2 (defined: 1.0.0); change the range, or define a version that fits',
        'features.json $.features[11].name: feature bad-module@0.0.0 is defined twice (also at features.json $.features[7]); change one version or name',
        'features.json $.features[12].features[0]: needs-bad@0.0.0 needs "bad-module" ^3: no version satisfies ^3 (defined: 0.0.0); change the range, or define a version that fits',
        'features.json $.boot[0]: boot feature "ghost" is not defined; define it in a features file, or take it out of "boot"',
        'features.json $.features[0].features: features depend on each other in a circle: a@1.0.0 → b@1.0.0 → c@1.0.0 → a@1.0.0; remove one of these dependencies',
      ]),
    );
    expect(problems.filter((p) => p.code === ErrorCode.FEATURE_CYCLE)).toHaveLength(1);
    expect(new Set(problems.map((p) => p.code))).toEqual(
      new Set([
        ErrorCode.FEATURE_DEFINITION_INVALID,
        ErrorCode.FEATURE_MODULE_MISSING,
        ErrorCode.FEATURE_MODULE_OUTSIDE_ROOT,
        ErrorCode.FEATURE_DUPLICATE,
        ErrorCode.FEATURE_NOT_FOUND,
        ErrorCode.FEATURE_VERSION_UNSATISFIED,
        ErrorCode.FEATURE_CYCLE,
      ]),
    );
  });

  test('a syntax error is reported with line and column', async () => {
    const root = await homes.make();
    await writeFiles(root, { 'features.json': '{\n  "features": [\n    { "name": "a", }\n  ]\n}\n' });
    const { problems } = await readFeaturesFile(`${root}/features.json`, { source: 'features.json' });
    expect(problems.map(formatProblem)).toEqual(['features.json:3:20: invalid JSON: trailing comma before "}".']);
  });

  test('a folder module means its index; a path through a symlink that leads out of the folder is refused', async () => {
    const { catalog, problems } = await catalogOf({ features: [{ name: 'f', components: ['mods/host'] }] }, { 'mods/host/index.mjs': 'export {};' });
    expect(problems).toEqual([]);
    expect(catalog.find('f')?.modules[0]?.file).toMatch(/mods\/host\/index\.mjs$/);

    const outside = await homes.make();
    await writeFiles(outside, { 'evil.js': 'export {};' });
    const root = await homes.make();
    await writeFiles(root, { 'features.json': { features: [{ name: 'g', components: ['link/evil.js'] }] } });
    await symlink(outside, join(root, 'link'));
    const read = await readFeaturesFile(join(root, 'features.json'), { source: 'features.json' });
    expect(read.problems.map((p) => p.code)).toEqual([ErrorCode.FEATURE_MODULE_OUTSIDE_ROOT]);
  });
});
