import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Component, parseFilter, type Container, type LatticeError } from '@lattice-scr/lattice';
import { testContainer } from '../helpers/container.js';
import { Recorder } from '../helpers/recorder.js';
import { writeFiles } from '../helpers/distribution.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
const running: Container[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await homes.cleanup();
});

async function startIn(files: Record<string, string | object>, options: { maxConfigFileBytes?: number } = {}) {
  const home = await homes.make();
  await writeFiles(home, files);
  @Component({ name: 'reader', configurationPid: 'big' })
  class Reader {}
  const t = testContainer({ home, ...options });
  running.push(t.container);
  t.container.register(Reader);
  await t.container.start();
  return { ...t, home };
}

const deep = (levels: number): string => `{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`;

describe('configuration files the container will not choke on', () => {
  test('a file over the size limit (5 MiB by default) is not read: FILE_TOO_LARGE, and the last good values stay', async () => {
    const t = await startIn({ 'config/big.json': { size: 'small' } });
    expect(t.container.component('reader').properties.size).toBe('small');
    const reload = t.logRecorder.next((e) => typeof e.msg === 'string' && e.msg.startsWith('configuration big not applied'));
    // Written whole, then moved in: a plain write of 6 MiB can be seen half-written, already over the limit, at another size.
    await writeFile(join(t.home, 'big.json'), JSON.stringify({ size: 'x'.repeat(6 * 1024 * 1024) }));
    await rename(join(t.home, 'big.json'), join(t.home, 'config', 'big.json'));
    await reload;
    const entry = t.container.config.get('big');
    expect(entry?.problem).toMatch(/^config\/big\.json: the file is 6,291,4\d\d bytes, over the limit of 5,242,880, so it was not read\. Make it smaller, or raise the limit \(lattice start --max-config-bytes N\)\.$/);
    expect(entry?.values).toEqual({ size: 'small' });
    expect(t.container.component('reader').properties.size).toBe('small');
  });

  test('a file whose name is a PID over 200 characters is not read, and the log says why; 200 are read', async () => {
    const long = 'p'.repeat(230);
    const t = await startIn({ [`config/${long}.json`]: { a: 1 }, [`config/${'q'.repeat(200)}.json`]: { b: 2 } });
    expect(t.container.config.list().map((e) => e.pid)).toEqual(['q'.repeat(200)]);
    const warning = t.logs.find((e) => e.level === 40 && e.msg.includes('is not read'));
    expect(warning?.msg).toBe(`config/${long}.json is not read: a configuration PID is at most 200 characters (this one has 230); give the file a shorter name`);
  });

  test('maxConfigFileBytes sets the limit', async () => {
    const t = await startIn({ 'config/big.json': { size: 'x'.repeat(200) } }, { maxConfigFileBytes: 100 });
    expect(t.container.config.get('big')?.problem).toContain('over the limit of 100');
    // With no good version before it, the component waits for one.
    expect(t.container.component('reader').state).toBe('unsatisfied-configuration');
    expect(t.errors().map((e) => e.msg)).toEqual([
      'configuration big not applied, and there is no good one before it: config/big.json: the file is 217 bytes, over the limit of 100, so it was not read. Make it smaller, or raise the limit (lattice start --max-config-bytes N). (fix it: the change is picked up at once)',
    ]);
    expect(t.container.component('reader').why.join(' ')).toContain('over the limit of 100');
  });

  test('JSON nested 100,000 levels deep is JSON_TOO_DEEP with its line and column, not a stack overflow', async () => {
    const t = await startIn({ 'config/big.json': `{\n  "ok": ${deep(100_000)}\n}\n` });
    expect(t.container.config.get('big')?.problem).toBe(
      'config/big.json:2:268: arrays and objects nest more than 256 levels deep here, which Lattice does not read. Flatten the structure.',
    );
    // Unclosed too: the syntax error locator is never reached.
    await writeFile(join(t.home, 'config', 'big.json'), '['.repeat(100_000));
    await t.logRecorder.next((e) => typeof e.msg === 'string' && e.msg.includes('config/big.json:1:257'));
    expect(t.container.component('reader').state).toBe('unsatisfied-configuration');
    expect(t.container.component('reader').why.join(' ')).toContain('config/big.json:1:257: arrays and objects nest more than 256 levels deep');
  });

  test('values nested too deep are refused by update and patch with JSON_TOO_DEEP, and nothing is written', async () => {
    const t = await startIn({});
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = [value];
    const refused = await t.container.config.update('big', { value }).catch((error: unknown) => error as LatticeError);
    expect(refused).toMatchObject({ code: 'JSON_TOO_DEEP' });
    expect((refused as LatticeError).message).toContain('Configuration big: arrays and objects nest more than 256 levels deep (at $.value[0][0][0][0][0][0][0]...)');
    await expect(t.container.config.patch('big', { value })).rejects.toMatchObject({ code: 'JSON_TOO_DEEP' });
    expect(t.container.config.get('big')).toBeUndefined();
  });

  test('a filter nested 50,000 levels deep is FILTER_INVALID, not a stack overflow', () => {
    const filter = `${'(!'.repeat(50_000)}(a=1)${')'.repeat(50_000)}`;
    const refused = ((): unknown => {
      try {
        return parseFilter(filter);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toMatchObject({ code: 'FILTER_INVALID' });
    expect((refused as LatticeError).message).toContain('the filter nests more than 100 levels deep; write it flatter');
    expect(parseFilter(`${'(!'.repeat(99)}(a=1)${')'.repeat(99)}`).root.op).toBe('not');
  });

  test('a symbolic link loop in the config folder names the file and the fix', async () => {
    const home = await homes.make();
    await writeFiles(home, { 'config/ok.json': {} });
    await symlink('loop.json', join(home, 'config', 'loop.json'));
    const t = testContainer({ home });
    running.push(t.container);
    await t.container.start();
    expect(t.container.config.get('loop')?.problem).toBe('config/loop.json cannot be read: it is a symbolic link that leads back to itself (a loop). Point it at a real file, or replace it with one.');
    expect(t.errors().map((e) => e.msg)).toContain(`watching ${join(home, 'config')}: ${join(home, 'config', 'loop.json')}: it is a symbolic link that leads back to itself (a loop); point it at a real file, or replace it with one`);
  });

  test('a symbolic link loop or a folder that appears while running is a problem of its PID too', async () => {
    const home = await homes.make();
    await writeFiles(home, { 'config/ok.json': {} });
    const t = testContainer({ home });
    running.push(t.container);
    const reloads = new Recorder<{ pid: string; outcome: string }>();
    t.container.configFolder?.onReload((pid, outcome) => {
      reloads.push({ pid, outcome });
    });
    await t.container.start();
    await symlink('late.json', join(home, 'config', 'late.json'));
    await mkdir(join(home, 'config', 'folder.json'));
    await reloads.waitFor((items) => ['late', 'folder'].every((pid) => items.some((r) => r.pid === pid && r.outcome === 'problem')));
    expect(t.container.config.get('late')?.problem).toBe('config/late.json cannot be read: it is a symbolic link that leads back to itself (a loop). Point it at a real file, or replace it with one.');
    expect(t.container.config.get('folder')?.problem).toBe('config/folder.json cannot be read: it is a folder, not a file. Remove it, or move the folder elsewhere.');
  });
});
