import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Container } from '@lattice-scr/lattice';
import { writeFileAtomic } from '../../src/fs/writeFileAtomic.js';
import { testContainer } from '../helpers/container.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
const running: Container[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await homes.cleanup();
});

describe('no lost updates', () => {
  test('lost write: 30 concurrent writeFileAtomic calls to one file leave the last call\'s content, round after round', async () => {
    const dir = await homes.make();
    const file = join(dir, 'x.json');
    for (let round = 0; round < 20; round++) {
      // Contents of different sizes, so the writes take different times.
      await Promise.all(Array.from({ length: 30 }, (_, i) => writeFileAtomic(file, `${'x'.repeat(((i * 7919) % 30) * 1000)}${round}:${i}\n`)));
      expect((await readFile(file, 'utf8')).endsWith(`${round}:29\n`)).toBe(true);
    }
    expect((await readdir(dir)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  test('lost update: 20 concurrent patches of one PID, each setting its own key, keep all 20 keys', async () => {
    const home = await homes.make();
    const t = testContainer({ home });
    running.push(t.container);
    await t.container.start();
    await t.container.config.update('p', { base: true });
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.container.config.patch('p', { [`k${i}`]: i })));
    const expected = { base: true, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])) };
    expect(t.container.config.raw('p')).toEqual(expected);
    expect(JSON.parse(await readFile(join(home, 'config', 'p.json'), 'utf8'))).toEqual(expected);
  });

  test('edit() reads what the writes before it left: two concurrent edits of a list both count', async () => {
    const t = testContainer();
    await t.container.start();
    await t.container.config.update('list', { items: [] });
    const add = (item: string) => t.container.config.edit('list', (current) => ({ items: [...((current?.items as string[] | undefined) ?? []), item] }));
    await Promise.all([add('a'), add('b'), add('c')]);
    expect(t.container.config.raw('list')).toEqual({ items: ['a', 'b', 'c'] });
    // What an edit throws rejects it, and nothing is written.
    await expect(t.container.config.edit('list', () => {
      throw new Error('not today');
    })).rejects.toThrow('not today');
    expect(t.container.config.raw('list')).toEqual({ items: ['a', 'b', 'c'] });
    // A change function that edits what it is given in place touches nothing in force when refused.
    await expect(
      t.container.config.edit('list', (current) => {
        (current?.items as string[]).push('sneaky');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(t.container.config.raw('list')).toEqual({ items: ['a', 'b', 'c'] });
    // A bad PID is a rejected promise, as every other failure.
    const deleting = t.container.config.delete('no such pid!');
    await expect(deleting).rejects.toMatchObject({ code: 'CONFIG_PID_INVALID' });
    await t.container.stop();
  });

  test('temporary files left by an interrupted write are removed at start', async () => {
    const home = await homes.make();
    await writeFiles(home, { 'config/p.json': { a: 1 }, 'config/.p.json.0123456789ab.tmp': '{"a":', 'data/.features.json.ba9876543210.tmp': '{', 'config/.notes': 'mine' });
    const t = testContainer({ home });
    running.push(t.container);
    await t.container.start();
    expect((await readdir(join(home, 'config'))).sort()).toEqual(['.notes', 'p.json']);
    expect(await readdir(join(home, 'data'))).not.toContain('.features.json.ba9876543210.tmp');
    expect(t.logs.map((e) => e.msg)).toContain('removed 1 temporary file(s) left in config/ by an interrupted write');
  });
});
