import { rename, rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  Activate,
  Component,
  Deactivate,
  Modified,
  Reference,
  serviceToken,
 
  type ComponentContext,
  type Container,
  type DeactivationContext,
  type ServiceProperties,
} from '@lattice-scr/lattice';
import { Recorder } from '../helpers/recorder.js';
import { configHomes } from '../helpers/configHomes.js';

interface Device {
  readonly address: string;
}
const DeviceService = serviceToken<Device>('test.factory.Device');
interface Link {
  readonly id: string;
}
const LinkService = serviceToken<Link>('test.factory.Link');

const homes = configHomes();
const startIn = (...args: Parameters<typeof homes.start>) => homes.start(...args);
afterEach(async () => {
  await homes.cleanup();
});

/** A factory-configured component recording what each of its objects saw, by instance name. */
function deviceFactory() {
  const seen = new Recorder<{ event: string; name: string; object: number; config: Record<string, unknown> }>();
  let objects = 0;
  @Component({
    name: 'device',
    factoryPid: 'device',
    service: DeviceService,
    immediate: true,
    properties: { vendor: 'acme' },
    configSchema: z.object({ address: z.string(), port: z.number().int().default(6653) }),
  })
  class DeviceConnection implements Device {
    readonly object = ++objects;
    address = '';
    @Reference({ service: LinkService, cardinality: '0..1', policy: 'dynamic' }) link: Link | undefined;
    @Activate activate(context: ComponentContext): void {
      this.address = String(context.config.address);
      seen.push({ event: 'activate', name: context.name, object: this.object, config: { ...context.config } });
    }
    @Modified modified(config: Record<string, unknown>, context: ComponentContext): void {
      this.address = String(config.address);
      seen.push({ event: 'modified', name: context.name, object: this.object, config: { ...config } });
    }
    @Deactivate deactivate(context: DeactivationContext): void {
      seen.push({ event: `deactivate:${context.reason}`, name: context.name, object: this.object, config: {} });
    }
  }
  return { DeviceConnection, seen };
}

/** Resolves once the component is gone from the container. */
async function whenGone(container: Container, name: string): Promise<void> {
  const gone = new Recorder<string>();
  const stop = container.on((event) => {
    if (event.type === 'component' && event.name === name && event.state === 'disabled') gone.push(name);
  });
  try {
    if (container.hasComponent(name) && container.component(name).state !== 'disabled') await gone.next(() => true);
    await container.settled();
  } finally {
    stop();
  }
  expect(container.hasComponent(name)).toBe(false);
}

describe('factory configurations: one instance per config/<factoryPid>~<name>.json', () => {
  test('each file makes an instance with its own configuration, properties and service registration', async () => {
    const { DeviceConnection, seen } = deviceFactory();
    const { container, file } = await startIn([DeviceConnection], { 'device~s1': '{ "address": "10.0.0.1" }' });
    await container.whenActive('device~s1');
    await writeFile(file('device~s2'), '{ "address": "10.0.0.2", "port": 6633 }');
    const s2 = await container.whenActive('device~s2');

    expect(s2.instanceOf).toBe('device');
    expect(s2.configurationPid).toBe('device~s2');
    expect(s2.configurationPolicy).toBe('require');
    expect(s2.properties).toMatchObject({ vendor: 'acme', address: '10.0.0.2', port: 6633, 'component.name': 'device~s2' });
    const template = container.component('device');
    expect(template.state).toBe('active');
    expect(template.services).toEqual([]);
    expect(template.factory).toEqual({ kind: 'configuration', id: 'device', instances: ['device~s1', 'device~s2'] });

    // Two registrations, each with its instance's properties; consumers tell them apart by filter.
    const devices = await container.getServices(DeviceService, '(address=10.0.0.*)');
    expect(devices.map((d) => d.address).sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(await container.getService(DeviceService, '(port=6633)')).toMatchObject({ address: '10.0.0.2' });
    expect(seen.items.filter((e) => e.event === 'activate').map((e) => [e.name, e.config])).toEqual([
      ['device~s1', { address: '10.0.0.1', port: 6653 }],
      ['device~s2', { address: '10.0.0.2', port: 6633 }],
    ]);
  });

  test('editing a file reconfigures that instance only (@Modified on the same object)', async () => {
    const { DeviceConnection, seen } = deviceFactory();
    const { container, file } = await startIn([DeviceConnection], { 'device~s1': '{ "address": "10.0.0.1" }', 'device~s2': '{ "address": "10.0.0.2" }' });
    await container.whenActive('device~s2');
    const before = seen.items.length;

    await writeFile(file('device~s1'), '{ "address": "10.0.9.9" }');
    await seen.next((e) => e.event === 'modified');
    await container.settled();
    expect(seen.items.slice(before).map((e) => [e.event, e.name])).toEqual([['modified', 'device~s1']]);
    expect(container.component('device~s1').configuration).toEqual({ address: '10.0.9.9' });
    expect(container.component('device~s2').configuration).toEqual({ address: '10.0.0.2' });
  });

  test('a broken file keeps that instance on its last good values and says why; fixing it applies it', async () => {
    const { DeviceConnection, seen } = deviceFactory();
    const { container, file, reloads } = await startIn([DeviceConnection], { 'device~s1': '{ "address": "10.0.0.1" }' });
    await container.whenActive('device~s1');
    reloads.items.length = 0;

    await writeFile(file('device~s1'), '{ "address": "10.0.0.7"');
    await reloads.next((r) => r.pid === 'device~s1' && r.outcome === 'problem');
    await container.settled();
    expect(container.component('device~s1').configurationProblem).toMatch(/^config\/device~s1\.json:1:\d+: invalid JSON/);
    // The file's own problem, not a refusal by the component: config list shows it once.
    const shown = container.shownConfiguration(container.config.get('device~s1') as NonNullable<ReturnType<typeof container.config.get>>);
    expect(shown.problem).toMatch(/invalid JSON/);
    expect(shown.rejectedBy).toBeUndefined();
    reloads.items.length = 0;

    await writeFile(file('device~s1'), '{ "address": 42 }');
    await reloads.next((r) => r.pid === 'device~s1' && r.outcome === 'applied');
    await container.settled();
    const kept = container.component('device~s1');
    expect(kept.state).toBe('active');
    expect(kept.configuration).toEqual({ address: '10.0.0.1' });
    expect(kept.configurationProblem).toMatch(/^config\/device~s1\.json: \$\.address: /);

    await writeFile(file('device~s1'), '{ "address": "10.0.0.7" }');
    await seen.next((e) => e.event === 'modified' && e.config.address === '10.0.0.7');
    expect(container.component('device~s1').configurationProblem).toBeUndefined();
  });

  test('a file broken from the start makes an instance that waits, saying why', async () => {
    const { DeviceConnection } = deviceFactory();
    const { container, file } = await startIn([DeviceConnection], { 'device~bad': '{ "port": 1 }' });
    const bad = container.component('device~bad');
    expect(bad.state).toBe('unsatisfied-configuration');
    expect(bad.why.join(' ')).toContain('config/device~bad.json: $.address: ');

    await writeFile(file('device~bad'), '{ "address": "10.0.0.3" }');
    await container.whenActive('device~bad');
  });

  test('deleting a file disposes its instance; renaming one moves the instance to the new name', async () => {
    const { DeviceConnection, seen } = deviceFactory();
    const { container, file } = await startIn([DeviceConnection], { 'device~s1': '{ "address": "10.0.0.1" }', 'device~s2': '{ "address": "10.0.0.2" }' });
    await container.whenActive('device~s2');

    await rm(file('device~s1'));
    await whenGone(container, 'device~s1');
    expect(seen.items.filter((e) => e.name === 'device~s1').map((e) => e.event)).toEqual(['activate', 'deactivate:disposed']);
    expect(container.component('device').factory?.instances).toEqual(['device~s2']);
    expect(container.component('device~s2').state).toBe('active');

    await rename(file('device~s2'), file('device~core'));
    await container.whenActive('device~core');
    await whenGone(container, 'device~s2');
    expect(container.component('device~core').configuration).toEqual({ address: '10.0.0.2' });
  });

  test('"<reference>.target" in an instance file retargets that instance only', async () => {
    const { DeviceConnection } = deviceFactory();
    const { container } = await startIn([DeviceConnection], {
      'device~s1': '{ "address": "10.0.0.1", "link.target": "(id=red)" }',
      'device~s2': '{ "address": "10.0.0.2", "link.target": "(id=blue)" }',
    });
    const red = container.registerService(LinkService, { id: 'red' }, { id: 'red' });
    const blue = container.registerService(LinkService, { id: 'blue' }, { id: 'blue' });
    await container.settled();
    const boundTo = (name: string) => container.component(name).references.find((r) => r.name === 'link')?.bound.map((b) => b.serviceId);
    expect(boundTo('device~s1')).toEqual([red.id]);
    expect(boundTo('device~s2')).toEqual([blue.id]);
  });

  test('config update and delete make and dispose instances; values the schema refuses make none', async () => {
    const { DeviceConnection } = deviceFactory();
    const { container, file } = await startIn([DeviceConnection]);

    await container.config.update('device~new', { address: '10.0.0.5' });
    await container.whenActive('device~new');
    expect(await import('node:fs/promises').then((fs) => fs.readFile(file('device~new'), 'utf8'))).toContain('10.0.0.5');
    await container.config.patch('device~new', { port: 7000 });
    await container.settled();
    expect(container.component('device~new').configuration).toEqual({ address: '10.0.0.5', port: 7000 });

    await expect(container.config.update('device~wrong', { address: 7 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('component device: $.address: ') as string,
    });
    expect(container.hasComponent('device~wrong')).toBe(false);

    expect(await container.config.delete('device~new')).toBe(true);
    await whenGone(container, 'device~new');
  });

  test('disabling the template disposes every instance, enabling makes them again; so do stop and start', async () => {
    const { DeviceConnection, seen } = deviceFactory();
    const { container } = await startIn([DeviceConnection], { 'device~s1': '{ "address": "10.0.0.1" }', 'device~s2': '{ "address": "10.0.0.2" }' });
    await container.whenActive('device~s2');

    await container.disable('device');
    expect(container.components().map((c) => c.name)).toEqual(['device']);
    expect(seen.items.filter((e) => e.event.startsWith('deactivate')).map((e) => e.event)).toEqual(['deactivate:disposed', 'deactivate:disposed']);

    await container.enable('device');
    expect(container.component('device~s1').state).toBe('active');
    expect(container.component('device~s2').state).toBe('active');

    await container.stop();
    expect(container.components().map((c) => c.name)).toEqual(['device']);
    await container.start();
    expect(container.component('device').factory?.instances.slice().sort()).toEqual(['device~s1', 'device~s2']);
    expect(container.component('device~s1').state).toBe('active');
  });

  test('unregistering the template disposes its instances', async () => {
    const { DeviceConnection } = deviceFactory();
    const { container } = await startIn([DeviceConnection], { 'device~s1': '{ "address": "10.0.0.1" }' });
    await container.whenActive('device~s1');
    await container.unregister('device');
    expect(container.components()).toEqual([]);
  });

  test('an instance whose name a component already has is not made, and the log says why', async () => {
    const { DeviceConnection } = deviceFactory();
    @Component({ name: 'device~s1' })
    class Squatter {}
    const { container, errors } = await startIn([Squatter, DeviceConnection], { 'device~s1': '{ "address": "10.0.0.1" }' });
    expect(container.component('device').factory?.instances).toEqual([]);
    expect(errors().map((e) => e.msg)).toContain(
      'factory device cannot make instance device~s1: Cannot register DeviceConnection as component "device~s1": Squatter already has that name. Give one of them another name with @Component({ name }).',
    );
  });

  test('an instance unregistered by hand is no longer the factory\'s; its configuration changing makes it again', async () => {
    const { DeviceConnection } = deviceFactory();
    const { container, file } = await startIn([DeviceConnection], { 'device~s1': '{ "address": "10.0.0.1" }' });
    await container.whenActive('device~s1');
    await container.unregister('device~s1');
    expect(container.component('device').factory?.instances).toEqual([]);
    await writeFile(file('device~s1'), '{ "address": "10.0.0.9" }');
    await container.whenActive('device~s1');
    expect(container.component('device').factory?.instances).toEqual(['device~s1']);
    await container.unregister('device~s1');
    await rm(file('device~s1'));
    await container.disable('device');
    expect(container.components().map((c) => c.name)).toEqual(['device']);
  });

  test('bad factory options are refused at the decorator', () => {
    expect(() => { Component({ factoryPid: 'a~b' })(class A {}); }).toThrow(/factoryPid "a~b"; use 1 to 100 letters/);
    expect(() => { Component({ factoryPid: 'a', factory: 'b' })(class B {}); }).toThrow(/has both factoryPid and factory/);
    expect(() => { Component({ factoryPid: 'a', configurationPolicy: 'ignore' })(class C {}); }).toThrow(/configurationPolicy "ignore"/);
    expect(() => { Component({ factoryPid: 'a', configurationPid: 'x' })(class D {}); }).toThrow(/both factoryPid and configurationPid/);
    expect(() => { Component({ factory: '' })(class E {}); }).toThrow(/factory name that is not a non-empty string/);
  });
});

export type { ServiceProperties };
