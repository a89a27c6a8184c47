import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { tempHomes } from '../helpers/tempHome.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const homes = tempHomes();
afterEach(async () => {
  await homes.cleanup();
});

/** A small project with the repo's build script and the real tsc: the script builds whatever tsconfig.build.json names. */
async function project(): Promise<string> {
  const dir = await homes.make();
  await mkdir(join(dir, 'scripts'));
  await mkdir(join(dir, 'src'));
  await copyFile(join(REPO, 'scripts', 'build.js'), join(dir, 'scripts', 'build.js'));
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', target: 'ES2022', outDir: 'dist', rootDir: '.', types: [] } }));
  await writeFile(join(dir, 'tsconfig.build.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src'] }));
  await writeFile(join(dir, 'src', 'a.ts'), 'export const a: number = 1;\n');
  return dir;
}

const build = (dir: string, ...args: string[]) => run(process.execPath, [join(dir, 'scripts', 'build.js'), ...args]);
const mtime = async (file: string): Promise<number> => (await stat(file)).mtimeMs;

describe('the build script (npm run build; npm start and npm run bench build only when a source changed)', () => {
  test('--if-changed builds the first time, not again while nothing changed, and again after an edit or a deleted file', async () => {
    const dir = await project();
    const out = join(dir, 'dist', 'src', 'a.js');
    const stamp = join(dir, 'dist', '.build-stamp');
    await build(dir, '--if-changed');
    const first = await mtime(out);
    const firstStamp = await mtime(stamp);

    await build(dir, '--if-changed');
    expect(await mtime(out)).toBe(first);
    expect(await mtime(stamp)).toBe(firstStamp);

    await writeFile(join(dir, 'src', 'a.ts'), 'export const a: number = 2;\n');
    await build(dir, '--if-changed');
    expect(await mtime(stamp)).toBeGreaterThan(firstStamp);
    expect(await readFile(out, 'utf8')).toContain('export const a = 2;');

    // An edit dated in the past (a clock behind the build's, a restored file) counts too: any change does.
    const edited = await mtime(stamp);
    await writeFile(join(dir, 'src', 'a.ts'), 'export const a: number = 4;\n');
    const past = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, 'src', 'a.ts'), past, past);
    await build(dir, '--if-changed');
    expect(await mtime(stamp)).toBeGreaterThan(edited);
    expect(await readFile(out, 'utf8')).toContain('export const a = 4;');

    // A file deleted changes its folder, which counts too.
    await writeFile(join(dir, 'src', 'b.ts'), 'export const b = 1;\n');
    await build(dir);
    const beforeDelete = await mtime(stamp);
    await rm(join(dir, 'src', 'b.ts'));
    await build(dir, '--if-changed');
    expect(await mtime(stamp)).toBeGreaterThan(beforeDelete);
  }, 120_000);

  test('a failed build exits non-zero and leaves no stamp, so the next --if-changed builds again', async () => {
    const dir = await project();
    await writeFile(join(dir, 'src', 'a.ts'), 'export const a: number = "not a number";\n');
    const failed = await build(dir, '--if-changed').catch((error: unknown) => error as { code: number; stdout: string });
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stdout: string }).stdout).toContain("Type 'string' is not assignable to type 'number'");
    await expect(stat(join(dir, 'dist', '.build-stamp'))).rejects.toThrow();
    await writeFile(join(dir, 'src', 'a.ts'), 'export const a: number = 3;\n');
    await build(dir, '--if-changed');
    expect((await stat(join(dir, 'dist', '.build-stamp'))).isFile()).toBe(true);
  }, 120_000);
});
