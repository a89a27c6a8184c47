import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { print, type CliContext } from '../client/CliContext.js';
import { shellWord } from '../format/shellWord.js';
import { appFiles } from '../init/appTemplate.js';
import { readPackageManifest } from '../packageVersion.js';

/** Folder entries that do not make a folder "not empty" for `init`. */
const IGNORED = new Set(['.git', '.DS_Store']);

/**
 * `lattice init [DIR]`: writes an app (package.json, features.json, config/, deploy/, an example
 * component and its test) into DIR, default the current folder.
 * @throws Error when the folder is not empty and `force` is not given.
 */
export async function initApp(context: CliContext, dir: string | undefined, options: { js?: boolean; force?: boolean }): Promise<void> {
  const target = resolve(dir ?? '.');
  const present = await readdir(target).then((names) => names.filter((n) => !IGNORED.has(n)), () => []);
  if (present.length > 0 && options.force !== true) {
    const shown = present.slice(0, 5).join(', ') + (present.length > 5 ? ', ...' : '');
    throw new Error(`${target} is not empty (it has ${shown}); give a new or empty folder, or add --force to write the app's files into it (files of the same names are replaced)`);
  }
  const manifest = readPackageManifest();
  const files = appFiles({
    name: packageName(basename(target)),
    js: options.js === true,
    versions: {
      lattice: `^${manifest.version}`,
      zod: manifest.dependencies.zod ?? 'latest',
      typescript: manifest.devDependencies.typescript ?? 'latest',
      typesNode: manifest.devDependencies['@types/node'] ?? 'latest',
    },
  });
  for (const [path, content] of Object.entries(files)) {
    const file = join(target, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  const shownDir = dir === undefined ? '.' : shellWord(dir);
  print(context, { created: target, files: Object.keys(files).sort() }, () =>
    [
      `Created a Lattice app in ${target}${options.js === true ? ' (plain JavaScript)' : ''}:`,
      ...Object.keys(files).sort().map((path) => `  ${path}`),
      '',
      'Next:',
      `  ${shownDir === '.' ? '' : `cd ${shownDir} && `}npm install && npm start`,
      '  npm test',
    ].join('\n'),
  );
}

/** A folder name as an npm package (and feature) name: lower case letters, digits, -, . and _. */
function packageName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '').slice(0, 200);
  return name === '' ? 'lattice-app' : name;
}
