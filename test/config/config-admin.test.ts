import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Activate, CheckConfiguration, Component, ConfigAdmin, ErrorCode, LatticeError, Modified, Reference, serviceToken, type ComponentContext, type Container } from '@lattice-scr/lattice';

const ClockToken = serviceToken<unknown>('test.Clock');
import { testContainer } from '../helpers/container.js';
import { writeFiles } from '../helpers/distribution.js';
import { rejectionOf } from '../helpers/errors.js';
import { silentLogger } from '../helpers/logs.js';
import { Recorder } from '../helpers/recorder.js';
import { tempHomes } from '../helpers/tempHome.js';

const homes = tempHomes();
const running: Container[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await homes.cleanup();
});

function recordingComponent(policy: 'optional' | 'require') {
  const seen = new Recorder<string>();
  @Component({ name: 'svc', configurationPolicy: policy })
  class Svc {
    @Activate activate(context: ComponentContext): void {
      seen.push(`activate ${JSON.stringify(context.config)}`);
    }
    @Modified modified(config: unknown): void {
      seen.push(`modified ${JSON.stringify(config)}`);
    }
  }
  return { Svc, seen };
}

describe('ConfigAdmin', () => {
  test('update() writes the file atomically and applies once: the watcher does not apply its own write again', async () => {
    const home = await homes.make();
    const { Svc, seen } = recordingComponent('require');
    const t = testContainer({ home });
    running.push(t.container);
    const reloads = new Recorder<string>();
    t.container.configFolder?.onReload((pid, outcome) => {
      reloads.push(`${pid}:${outcome}`);
    });
    t.container.register(Svc);
    await t.container.start();

    const entry = await t.container.config.update('svc', { level: 3, url: '${env:LATTICE_TEST_UNSET:-none}' });
    expect(entry).toEqual({ pid: 'svc', values: { level: 3, url: 'none' }, file: 'config/svc.json' });
    // The file has what was written, placeholders and all, and no temporary file is left behind.
    expect(JSON.parse(await readFile(join(home, 'config', 'svc.json'), 'utf8'))).toEqual({ level: 3, url: '${env:LATTICE_TEST_UNSET:-none}' });
    expect(await readdir(join(home, 'config'))).toEqual(['svc.json']);
    await t.container.whenActive('svc');
    // The watcher sees the write and finds nothing new.
    await reloads.waitFor((items) => items.includes('svc:unchanged'));
    await t.container.config.update('svc', { level: 4 });
    await seen.waitFor((items) => items.length === 2);
    await reloads.waitFor((items) => items.filter((i) => i === 'svc:unchanged').length === 2);
    expect(seen.items).toEqual(['activate {"level":3,"url":"none"}', 'modified {"level":4}']);
    expect(reloads.items.filter((i) => i === 'svc:applied')).toEqual([]);

    expect(await t.container.config.delete('svc')).toBe(true);
    await t.container.whenState('svc', 'unsatisfied-configuration');
    expect(await readdir(join(home, 'config'))).toEqual([]);
  });

  test('update() replaces the file by renaming a complete temporary file over it (a new inode), keeping its mode', async () => {
    const home = await homes.make();
    const file = join(home, 'config', 'svc.json');
    await writeFiles(home, { 'config/svc.json': { level: 1 } });
    await chmod(file, 0o640);
    const t = testContainer({ home });
    running.push(t.container);
    await t.container.start();
    const before = await stat(file);
    await t.container.config.update('svc', { level: 2 });
    const after = await stat(file);
    // A plain write would keep the inode, and a reader could see the file half-written.
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o640);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ level: 2 });
  });

  test('without a home, configurations live in memory and still drive components', async () => {
    const { Svc, seen } = recordingComponent('require');
    const t = testContainer();
    running.push(t.container);
    t.container.register(Svc);
    await t.container.start();
    expect(t.container.configFolder).toBeUndefined();
    await t.container.config.update('svc', { a: 1 });
    await t.container.whenActive('svc');
    await t.container.config.update('svc', { a: 2 });
    await seen.waitFor((items) => items.length === 2);
    expect(seen.items).toEqual(['activate {"a":1}', 'modified {"a":2}']);
    expect(t.container.config.list().map((e) => e.pid)).toEqual(['svc']);
  });

  test('bad PIDs and values are refused with a clear error, and nothing changes', async () => {
    const admin = new ConfigAdmin({ logger: silentLogger(), env: {} });
    const attempts: [string, unknown, string][] = [
      ['../escape', {}, ErrorCode.CONFIG_PID_INVALID],
      ['.hidden', {}, ErrorCode.CONFIG_PID_INVALID],
      ['ok', [1, 2], ErrorCode.CONFIG_INVALID],
      ['ok', { url: '${env:NOPE}' }, ErrorCode.CONFIG_ENV_MISSING],
    ];
    for (const [pid, values, code] of attempts) {
      const error = await admin.update(pid, values as Record<string, unknown>).catch((e: unknown) => e);
      expect(LatticeError.is(error, code as ErrorCode)).toBe(true);
    }
    expect(admin.list()).toEqual([]);
    const pidError = await rejectionOf(admin.update('../escape', {}));
    expect(pidError.message).toContain('not a valid configuration PID');
  });

  test('update() with values a component reading the PID would refuse writes nothing and says what and why', async () => {
    const home = await homes.make();
    @Component({ name: 'web', configSchema: z.object({ port: z.number().int().default(80) }) })
    class Web {
      @Reference({ service: ClockToken, cardinality: '0..1' }) clock?: unknown;
    }
    const t = testContainer({ home });
    running.push(t.container);
    t.container.register(Web);
    await t.container.start();
    await t.container.config.update('web', { port: 8080 });
    const before = await readFile(join(home, 'config', 'web.json'), 'utf8');

    const error = await rejectionOf(t.container.config.update('web', { port: 'eighty', 'clock.target': '(broken' }));
    expect(LatticeError.is(error, ErrorCode.CONFIG_INVALID)).toBe(true);
    expect(error.message).toMatch(/^Configuration web was not written \(config\/web\.json is unchanged\): component web: \$\["clock\.target"\]: .+; component web: \$\.port: .+\. Give values the component accepts\.$/);
    expect(await readFile(join(home, 'config', 'web.json'), 'utf8')).toBe(before);
    expect(t.container.config.get('web')?.values).toEqual({ port: 8080 });
    expect(t.container.component('web').configuration).toEqual({ port: 8080 });
    // Values for a PID no component reads are anybody's business.
    await t.container.config.update('nobody', { anything: 'goes' });
  });

  test('a file that is not a JSON object is a problem; the last good values stay', async () => {
    const home = await homes.make();
    const { Svc } = recordingComponent('optional');
    const t = testContainer({ home });
    running.push(t.container);
    await t.container.config.update('svc', { good: true });
    t.container.register(Svc);
    await t.container.start();
    const reloads = new Recorder<string>();
    t.container.configFolder?.onReload((_pid, outcome) => {
      reloads.push(outcome);
    });
    await writeFile(join(home, 'config', 'svc.json'), '[1, 2, 3]');
    await reloads.waitFor((items) => items.includes('problem'));
    expect(t.container.config.get('svc')).toEqual({
      pid: 'svc',
      values: { good: true },
      problem: 'config/svc.json: $: a configuration must be a JSON object ({ ... })',
      file: 'config/svc.json',
    });
    expect(t.container.component('svc').configuration).toEqual({ good: true });
  });
});

describe('@CheckConfiguration: the running instance refuses values before they are written', () => {
  test('its problems refuse update/patch (nothing written); asked only while active, with the schema\'s output; a throw is a problem', async () => {
    const home = await homes.make();
    await writeFiles(home, { 'config/gate.json': { limit: 5 } });
    const asked: unknown[] = [];
    let active = 0;
    @Component({ name: 'gate', configSchema: z.object({ limit: z.number(), unit: z.string().default('req/s') }) })
    class Gate {
      @Activate activate(): void {
        active++;
      }
      @Modified modified(): void {}
      @CheckConfiguration check(config: { limit: number }): string[] {
        asked.push(config);
        if (config.limit === 13) throw new Error('unlucky');
        return config.limit > 100 ? [`$.limit: this instance holds ${active} worker(s), which cannot serve ${config.limit}`] : [];
      }
    }
    const { container } = testContainer({ home });
    running.push(container);
    container.register(Gate);
    await container.start();
    await container.whenActive('gate');

    const refused = await rejectionOf(container.config.patch('gate', { limit: 500 }));
    expect(refused.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(refused.message).toBe('Configuration gate was not written (config/gate.json is unchanged): component gate: $.limit: this instance holds 1 worker(s), which cannot serve 500. Give values the component accepts.');
    expect(JSON.parse(await readFile(join(home, 'config', 'gate.json'), 'utf8'))).toEqual({ limit: 5 });
    expect(asked).toEqual([{ limit: 500, unit: 'req/s' }]);
    expect((await rejectionOf(container.config.update('gate', { limit: 13 }))).message).toContain('component gate: check() threw: unlucky');
    // Values the schema refuses are not shown to the instance.
    await rejectionOf(container.config.patch('gate', { limit: 'many' }));
    expect(asked).toHaveLength(2);
    await container.config.patch('gate', { limit: 50 });
    expect(JSON.parse(await readFile(join(home, 'config', 'gate.json'), 'utf8'))).toEqual({ limit: 50 });

    // Disabled: nobody to ask, so the schema alone decides.
    await container.disable('gate');
    await container.config.patch('gate', { limit: 500 });
    expect(asked).toHaveLength(3);
  });
});

describe('config events', () => {
  test('container.on tells of every configuration written or deleted, by code or by a file edit', async () => {
    const home = await homes.make();
    const { container } = testContainer({ home });
    running.push(container);
    await container.start();
    const events = new Recorder<string>();
    container.on((event) => {
      if (event.type === 'config') events.push(`${event.pid} ${event.change}`);
    });
    await container.config.update('db', { url: 'a' });
    await writeFiles(home, { 'config/cache.json': { size: 1 } });
    await events.waitFor((items) => items.includes('cache updated'));
    await container.config.delete('db');
    await events.waitFor((items) => items.length === 3);
    expect(events.items).toEqual(['db updated', 'cache updated', 'db deleted']);
  });

  test('a reload listener that throws is logged; the others hear the reload, and the component is reconfigured', async () => {
    const home = await homes.make();
    const { Svc, seen } = recordingComponent('require');
    const t = testContainer({ home });
    running.push(t.container);
    const reloads = new Recorder<string>();
    t.container.configFolder?.onReload(() => {
      throw new Error('this listener broke');
    });
    t.container.configFolder?.onReload((pid, outcome) => {
      reloads.push(`${pid}:${outcome}`);
    });
    t.container.register(Svc);
    await t.container.start();
    await writeFile(join(home, 'config', 'svc.json'), JSON.stringify({ level: 1 }));
    await t.container.whenActive('svc');
    await reloads.waitFor((items) => items.includes('svc:applied'));
    await writeFile(join(home, 'config', 'svc.json'), JSON.stringify({ level: 2 }));
    await seen.waitFor((items) => items.includes('modified {"level":2}'));
    expect(t.errors().map((e) => e.msg)).toContain('a listener of configuration reloads threw');
  });
});
