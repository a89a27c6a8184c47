import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { FeatureStateFile } from '../../src/features/FeatureStateFile.js';
import { silentLogger } from '../helpers/logs.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
afterEach(async () => {
  await homes.cleanup();
});

describe('data/features.json', () => {
  test('the same content is not written again (each write is a rename after an fsync): not after a read of it, not twice', async () => {
    const home = await homes.make();
    await mkdir(join(home, 'data'));
    const file = join(home, 'data', 'features.json');
    const features = [{ name: 'app', version: '1.0.0' }];
    // Each write puts a new file in place (written beside it, then renamed): a new inode.
    const inode = async (): Promise<number> => (await stat(file)).ino;

    const state = new FeatureStateFile(file, silentLogger());
    await state.write(features);
    const first = await inode();
    await state.write(features);
    expect(await inode()).toBe(first);
    await state.write([]);
    const emptied = await inode();
    expect(emptied).not.toBe(first);

    // A new start reads what the last one wrote, and writes nothing while it stays the same.
    await writeFile(file, `${JSON.stringify({ installed: features }, null, 2)}\n`);
    const written = await inode();
    const next = new FeatureStateFile(file, silentLogger());
    expect(await next.read()).toEqual(features);
    await next.write(features);
    expect(await inode()).toBe(written);

    // Gone between a stop and the next start in the same process: written again.
    await rm(file);
    expect(await next.read()).toEqual([]);
    await next.write(features);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ installed: features });
  });
});
