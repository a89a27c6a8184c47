import { open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Activate, Component, Deactivate, Modified, Reference, serviceToken, type ComponentContext, type DeactivationContext } from '@lattice-scr/lattice';
import { Recorder } from '../helpers/recorder.js';
import { configHomes } from '../helpers/configHomes.js';

const homes = configHomes();
const startIn = (...args: Parameters<typeof homes.start>) => homes.start(...args);
afterEach(async () => {
  await homes.cleanup();
});

/** A component with @Modified that records what it saw on which instance. */
function modifiableComponent(policy: 'optional' | 'require' = 'optional') {
  const seen = new Recorder<{ event: string; instance: number; config: Record<string, unknown> }>();
  let instances = 0;
  @Component({ name: 'tuned', configurationPolicy: policy, properties: { colour: 'grey', size: 1 } })
  class Tuned {
    readonly number = ++instances;
    @Activate activate(context: ComponentContext): void {
      seen.push({ event: 'activate', instance: this.number, config: { ...context.properties } });
    }
    @Modified modified(config: Record<string, unknown>, context: ComponentContext): void {
      seen.push({ event: 'modified', instance: this.number, config: { ...config, colour: context.properties.colour } });
    }
    @Deactivate deactivate(context: DeactivationContext): void {
      seen.push({ event: `deactivate:${context.reason}`, instance: this.number, config: {} });
    }
  }
  return { Tuned, seen };
}

describe('configuration files, hot reloaded', () => {
  test('require policy: the component activates when its file appears and deactivates when it is deleted', async () => {
    const { Tuned, seen } = modifiableComponent('require');
    const { container, file } = await startIn([Tuned]);
    expect(container.component('tuned').state).toBe('unsatisfied-configuration');
    expect(container.component('tuned').why[0]).toBe('tuned requires configuration "tuned" (config/tuned.json), which does not exist. Create it to activate the component.');

    await writeFile(file('tuned'), '{ "colour": "red" }');
    await container.whenActive('tuned');
    expect(seen.items[0]?.config).toMatchObject({ colour: 'red', size: 1 });
    expect(container.component('tuned').configuration).toEqual({ colour: 'red' });

    await rm(file('tuned'));
    await container.whenState('tuned', 'unsatisfied-configuration');
    expect(seen.items.map((s) => s.event)).toEqual(['activate', 'deactivate:configuration-deleted']);
  });

  test('optional policy: deleting the file reconfigures the component with its defaults', async () => {
    const { Tuned, seen } = modifiableComponent('optional');
    const { container, file } = await startIn([Tuned], { tuned: '{ "colour": "red" }' });
    expect(seen.items[0]?.config.colour).toBe('red');
    await rm(file('tuned'));
    await seen.waitFor((items) => items.length === 2);
    expect(seen.items[1]).toEqual({ event: 'modified', instance: 1, config: { colour: 'grey' } });
    expect(container.component('tuned').state).toBe('active');
  });

  test('@Modified is called with the new values on the same instance; service properties follow', async () => {
    const Tunable = serviceToken('test.config.Tunable');
    const seen = new Recorder<unknown>();
    @Component({ name: 'tunable', service: Tunable, immediate: true })
    class TunableComp {
      @Modified modified(config: Record<string, unknown>): void {
        seen.push(config);
      }
    }
    const { container, file, events } = await startIn([TunableComp], { tunable: '{ "speed": 1 }' });
    await writeFile(file('tunable'), '{ "speed": 2, "mode": "fast" }');
    await seen.waitFor((items) => items.length === 1);
    expect(seen.items).toEqual([{ speed: 2, mode: 'fast' }]);
    expect(container.component('tunable').properties).toMatchObject({ speed: 2, mode: 'fast' });
    await container.settled();
    const modified = events.filter((e) => e.type === 'service' && e.change === 'modified');
    expect(modified).toHaveLength(1);
    expect(modified[0]).toMatchObject({ properties: { speed: 2, mode: 'fast' } });
    expect(events.filter((e) => e.type === 'component' && e.name === 'tunable' && e.state === 'deactivating')).toEqual([]);
  });

  test('without @Modified, a change deactivates the component (configuration-changed) and activates a new instance', async () => {
    const seen = new Recorder<string>();
    let instances = 0;
    @Component({ name: 'rigid' })
    class Rigid {
      readonly number = ++instances;
      @Activate activate(context: ComponentContext): void {
        seen.push(`activate #${this.number} level=${String(context.config.level)}`);
      }
      @Deactivate deactivate(context: DeactivationContext): void {
        seen.push(`deactivate #${this.number} ${context.reason}`);
      }
    }
    const { file } = await startIn([Rigid], { rigid: '{ "level": 1 }' });
    await writeFile(file('rigid'), '{ "level": 2 }');
    await seen.waitFor((items) => items.length === 3);
    expect(seen.items).toEqual(['activate #1 level=1', 'deactivate #1 configuration-changed', 'activate #2 level=2']);
  });

  test('an unchanged rewrite (same values, new mtime, other formatting) triggers nothing', async () => {
    const { Tuned, seen } = modifiableComponent();
    const { container, file, reloads, transitions } = await startIn([Tuned], { tuned: '{"colour":"red","n":[1,2]}' });
    const before = transitions().length;
    await writeFile(file('tuned'), '{\n  "n": [1, 2],\n  "colour": "red"\n}\n');
    await reloads.next((r) => r.pid === 'tuned' && r.outcome === 'unchanged');
    await container.settled();
    expect(seen.items.map((s) => s.event)).toEqual(['activate']);
    expect(transitions().length).toBe(before);
  });

  test('invalid JSON keeps the last good configuration and reports file, line and column', async () => {
    const { Tuned, seen } = modifiableComponent();
    const { container, file, reloads, logRecorder } = await startIn([Tuned], { tuned: '{ "colour": "red" }' }, undefined);
    await writeFile(file('tuned'), '{\n  "colour": "blue",\n  "size": \n}\n');
    await reloads.next((r) => r.outcome === 'problem');
    // The component reads the change in its next reconcile.
    await container.settled();
    const info = container.component('tuned');
    expect(info.state).toBe('active');
    expect(info.configuration).toEqual({ colour: 'red' });
    expect(info.configurationProblem).toBe('config/tuned.json:4:1: invalid JSON: unexpected "}"; a value (object, array, string, number, true, false or null) was expected.');
    const logged = await logRecorder.next((e) => e.level === 50 && e.msg.includes('config/tuned.json:4:1'));
    expect(logged.msg).toMatch(/keeping the last good one: .* \(fix it: the change is picked up at once\)$/);
    expect(seen.items.map((s) => s.event)).toEqual(['activate']);
    // Fixing the file applies it and clears the problem.
    await writeFile(file('tuned'), '{ "colour": "blue" }');
    await seen.waitFor((items) => items.length === 2);
    expect(container.component('tuned').configurationProblem).toBeUndefined();
  });

  test('a schema violation keeps the last good configuration and reports file, JSON path and reason', async () => {
    const seen = new Recorder<unknown>();
    @Component({ name: 'server', configSchema: z.object({ port: z.number().int().min(1).max(65535), host: z.string().default('127.0.0.1') }) })
    class Server {
      @Activate activate(context: ComponentContext): void {
        seen.push(context.config);
      }
      @Modified modified(config: unknown): void {
        seen.push(config);
      }
    }
    const { container, file, logRecorder } = await startIn([Server], { server: '{ "port": 8080 }' });
    expect(seen.items).toEqual([{ port: 8080, host: '127.0.0.1' }]);
    await writeFile(file('server'), '{ "port": "eighty" }');
    const logged = await logRecorder.next((e) => e.level === 50 && e.msg.includes('$.port'));
    expect(logged.msg).toContain('config/server.json: $.port: ');
    const info = container.component('server');
    expect(info.state).toBe('active');
    expect(info.configuration).toEqual({ port: 8080 });
    expect(info.configurationProblem).toMatch(/^config\/server\.json: \$\.port: .*number/);
    await writeFile(file('server'), '{ "port": 9090 }');
    await seen.waitFor((items) => items.length === 2);
    expect(seen.items[1]).toEqual({ port: 9090, host: '127.0.0.1' });
  });

  test('an invalid configuration with no last good one leaves the component unsatisfied-configuration, saying why', async () => {
    @Component({ name: 'strict', configSchema: z.object({ port: z.number() }) })
    class Strict {}
    const { container, file } = await startIn([Strict], { strict: '{ "port": true }' });
    const info = container.component('strict');
    expect(info.state).toBe('unsatisfied-configuration');
    expect(info.why[0]).toMatch(/^Configuration "strict" cannot be used: config\/strict\.json: \$\.port: /);
    await writeFile(file('strict'), '{ "port": 1 }');
    await container.whenActive('strict');
    // With no file at all, an optional component whose schema needs values is unsatisfied too.
    await rm(file('strict'));
    await container.whenState('strict', 'unsatisfied-configuration');
    expect(container.component('strict').why[0]).toContain('configuration "strict" is missing and the schema needs values: $.port');
  });

  test('an atomic save by rename (as vim and VS Code do) is seen exactly once', async () => {
    const { Tuned, seen } = modifiableComponent();
    const { file, home, reloads } = await startIn([Tuned], { tuned: '{ "colour": "red" }' });
    const temp = join(home, 'config', '.tuned.json.swp');
    await writeFile(temp, '{ "colour": "green" }');
    await rename(temp, file('tuned'));
    await seen.waitFor((items) => items.length === 2);
    // A later, different edit marks the point by which any duplicate of the first would have arrived.
    await writeFile(file('tuned'), '{ "colour": "blue" }');
    await seen.waitFor((items) => items.some((s) => s.config.colour === 'blue'));
    expect(seen.items.map((s) => `${s.event}:${String(s.config.colour)}`)).toEqual(['activate:red', 'modified:green', 'modified:blue']);
    // Read once each (red at start, green, blue): no second reading of the renamed file (it would show as
    // "unchanged"), no moment without it ("removed").
    expect(reloads.items.filter((r) => r.pid === 'tuned').map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied']);
  });

  test('a file caught half-written is read again before anything is reported: the whole file is applied', async () => {
    const { Tuned, seen } = modifiableComponent();
    const { file, reloads, logRecorder, errors } = await startIn([Tuned], { tuned: '{ "colour": "red" }' });
    const handle = await open(file('tuned'), 'w');
    await handle.write('{ "colour": ');
    await handle.sync();
    // The watcher has read the half and will read again: now the writer finishes.
    await logRecorder.next((e) => e.msg.startsWith('config/tuned.json is not valid for now (being written?); reading it again in'));
    await handle.write('"green" }');
    await handle.close();
    await seen.waitFor((items) => items.some((s) => s.config.colour === 'green'));
    expect(reloads.items.map((r) => r.outcome)).not.toContain('problem');
    expect(errors()).toEqual([]);
  });

  test('100 rapid writes end with the last values applied', async () => {
    const { Tuned, seen } = modifiableComponent();
    const { container, file } = await startIn([Tuned], { tuned: '{ "n": -1 }' });
    for (let n = 0; n < 100; n++) await writeFile(file('tuned'), JSON.stringify({ n }));
    await seen.waitFor((items) => items.some((s) => s.config.n === 99));
    const delivered = seen.items.map((s) => s.config.n as number);
    // Never backwards, never a half-written file.
    expect([...delivered].sort((a, b) => a - b)).toEqual(delivered);
    expect(container.component('tuned').configuration).toEqual({ n: 99 });
    expect(container.component('tuned').configurationProblem).toBeUndefined();
  });

  test('a reference target in the configuration retargets the reference at run time', async () => {
    const Store = serviceToken<{ zone: string }>('test.config.Store');
    const bound = new Recorder<string>();
    @Component({ name: 'reader' })
    class Reader {
      @Reference({ service: Store, target: '(zone=eu)' }) store!: { zone: string };
      @Activate activate(): void {
        bound.push(this.store.zone);
      }
    }
    const { container, file, logRecorder } = await startIn([Reader]);
    container.registerService(Store, { zone: 'eu' }, { zone: 'eu' });
    container.registerService(Store, { zone: 'us' }, { zone: 'us' });
    await bound.waitFor((items) => items.length === 1);
    await writeFile(file('reader'), '{ "store.target": "(zone=us)" }');
    await bound.waitFor((items) => items.length === 2);
    expect(bound.items).toEqual(['eu', 'us']);
    expect(container.component('reader').references[0]?.target).toBe('(zone=us)');
    // An invalid target is a configuration problem; the reference keeps its current target.
    await writeFile(file('reader'), '{ "store.target": "(zone=" }');
    const logged = await logRecorder.next((e) => e.level === 50 && e.msg.includes('store.target'));
    expect(logged.msg).toContain('$["store.target"]: Invalid filter "(zone="');
    expect(container.component('reader').configurationProblem).toContain('$["store.target"]: Invalid filter "(zone="');
    expect(container.component('reader').references[0]?.target).toBe('(zone=us)');
    // Removing the key restores the declared target.
    await writeFile(file('reader'), '{}');
    await bound.waitFor((items) => items.length === 3);
    expect(bound.items[2]).toBe('eu');
  });

  test('${env:NAME} and ${env:NAME:-default} placeholders are substituted; a missing one is reported', async () => {
    const { Tuned, seen } = modifiableComponent();
    const { container, file, reloads } = await startIn(
      [Tuned],
      { tuned: '{ "url": "http://${env:LATTICE_TEST_HOST}:${env:LATTICE_TEST_PORT:-8080}/x", "plain": "$notaplaceholder", "empty": "${env:LATTICE_TEST_EMPTY:-fallback}" }' },
      { LATTICE_TEST_HOST: 'example.org', LATTICE_TEST_EMPTY: '' },
    );
    // As in the shell, ":-" gives the default for a variable that is unset or empty.
    expect(seen.items[0]?.config).toMatchObject({ url: 'http://example.org:8080/x', plain: '$notaplaceholder', empty: 'fallback' });
    await writeFile(file('tuned'), '{ "url": "${env:LATTICE_TEST_MISSING}" }');
    await reloads.next((r) => r.outcome === 'problem');
    await container.settled();
    expect(container.component('tuned').configurationProblem).toBe(
      'config/tuned.json: $.url: environment variable LATTICE_TEST_MISSING is not set; set it, or give a default as ${env:LATTICE_TEST_MISSING:-value}',
    );
    expect(container.component('tuned').configuration).toMatchObject({ url: 'http://example.org:8080/x' });
  });

  test("configurationPolicy 'ignore': the component never reads a configuration, even when its file exists", async () => {
    const seen = new Recorder<Record<string, unknown>>();
    @Component({ name: 'aloof', configurationPolicy: 'ignore', properties: { colour: 'grey' } })
    class Aloof {
      @Activate activate(context: ComponentContext): void {
        seen.push({ ...context.properties, config: context.config });
      }
    }
    const { container, file, reloads } = await startIn([Aloof], { aloof: '{ "colour": "red" }' });
    expect(seen.items).toEqual([expect.objectContaining({ colour: 'grey', config: {} })]);
    expect(container.component('aloof').state).toBe('active');
    await writeFile(file('aloof'), '{ "colour": "blue" }');
    await reloads.next((r) => r.pid === 'aloof' && r.outcome === 'applied');
    await container.settled();
    expect(seen.items).toHaveLength(1);
    expect(container.component('aloof').properties.colour).toBe('grey');
  });

  test('@Modified that throws is logged and the component stays active with the new configuration', async () => {
    @Component({ name: 'touchy' })
    class Touchy {
      @Modified modified(): void {
        throw new Error('cannot take it');
      }
    }
    const { container, file, logRecorder } = await startIn([Touchy], { touchy: '{ "a": 1 }' });
    await writeFile(file('touchy'), '{ "a": 2 }');
    await logRecorder.next((e) => e.msg.includes('modified() of touchy threw: cannot take it'));
    await container.settled();
    expect(container.component('touchy').state).toBe('active');
    expect(container.component('touchy').configuration).toEqual({ a: 2 });
  });
});
