import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Component, type Container } from '@lattice-scr/lattice';
import { HostAdminService, HostStore, HostsAddressesCommand, formatPortAddresses, normaliseMac, normalisePrefix, portAddresses, samePortAddresses, type PortAddresses } from '../../components/host/index.js';
import { AddressesConfigSchema, diffBindings, dpidToDeviceId, NetworkConfigReader } from '../../components/netcfg/index.js';
import { testContainer } from '../helpers/container.js';
import { writeFiles } from '../helpers/distribution.js';
import { Recorder } from '../helpers/recorder.js';
import { tempHomes } from '../helpers/tempHome.js';

const SEED = new URL('../../config/addresses.json', import.meta.url);

describe('netcfg: parsing, validation, dpid conversion, diff', () => {
  test.each([
    ['00:00:00:00:00:00:01', 'of:0000000000000001'],
    ['00:00:00:00:00:00:00:0A', 'of:000000000000000a'],
    ['1:2', 'of:0000000000000102'],
    ['0000000000000001', 'of:0000000000000001'],
    ['ABCDEF', 'of:0000000000abcdef'],
  ])('dpid %s is device %s', (dpid, id) => {
    expect(dpidToDeviceId(dpid)).toBe(id);
  });

  test.each(['', '00:00:00:00:00:00:00:00:01', '0g:01', '12345678901234567', '::', '1:2:'])('%j is not a dpid', (dpid) => {
    expect(dpidToDeviceId(dpid)).toBeUndefined();
  });

  test('prefixes and MACs are checked and normalised with ipaddr.js', () => {
    expect(normalisePrefix('192.168.010.1/24')).toBeUndefined();
    expect(normalisePrefix('192.168.10.1/24')).toBe('192.168.10.1/24');
    expect(normalisePrefix('2001:DB8:0::1/64')).toBe('2001:db8::1/64');
    for (const bad of ['10.1/16', '10.1.0.1/33', '10.1.0.1', '2001:db8::1/129', 'x/8', '10.1.0.1/ 8']) expect(normalisePrefix(bad)).toBeUndefined();
    expect(normaliseMac('00:00:00:11:22:AA')).toBe('00:00:00:11:22:aa');
    expect(normaliseMac('00-00-00-11-22-aa')).toBe('00:00:00:11:22:aa');
    for (const bad of ['00:00:00:11:22', '0:0:0:11:22:33', '00:00:00:11:22:3g', '00:00-00:11:22:33', '00-00-00-11-22:33']) expect(normaliseMac(bad)).toBeUndefined();
  });

  test("the seed's sample file works unchanged (interfaces, ports as strings, 7-byte dpids)", async () => {
    const parsed = AddressesConfigSchema.parse(JSON.parse(await readFile(SEED, 'utf8')));
    expect(parsed.bindings.map(formatPortAddresses)).toEqual([
      'PortAddresses{connect-point=of:0000000000000001/1, ip-addresses=[192.168.10.101/24], mac-address=00:00:00:11:22:33}',
      'PortAddresses{connect-point=of:0000000000000002/1, ip-addresses=[192.168.20.101/24, 192.168.30.101/24], mac-address=none}',
      'PortAddresses{connect-point=of:0000000000000003/1, ip-addresses=[10.1.0.1/16], mac-address=00:00:00:00:00:01}',
    ]);
  });

  test('every problem is reported with its JSON path', () => {
    const result = AddressesConfigSchema.safeParse({
      addresses: [
        { dpid: 'zz', port: 1, ips: ['10.0.0.1/8'] },
        { dpid: '1', port: 0, ips: ['10.0.0.1/40'], mac: 'nope' },
        { dpid: '1', port: '5x', ips: [] },
        { dpid: '2', port: 1, ips: [], extra: true },
        { dpid: '3', port: 0xffffff01, ips: [] },
        { dpid: '4', port: '4294967040', ips: [] },
      ],
      interfaces: [{ dpid: '00:01', port: 1, ips: [] }],
    });
    expect(result.success).toBe(false);
    const problems = (result.error?.issues ?? []).map((i) => `$.${i.path.join('.')}: ${i.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        '$.addresses.0.dpid: "zz" is not a datapath id: use up to 8 colon-separated hex bytes (00:00:00:00:00:00:00:01) or up to 16 hex digits',
        '$.addresses.1.port: ports start at 1',
        '$.addresses.1.ips.0: "10.0.0.1/40" is not an IPv4 or IPv6 prefix such as 10.0.0.1/24 or 2001:db8::1/64',
        '$.addresses.1.mac: "nope" is not a MAC address of 6 hex bytes such as 00:00:00:11:22:33',
        '$.addresses.2.port: a port is a number, or a string of digits',
        expect.stringMatching(/^\$\.addresses\.3: .*extra/),
        '$.addresses.4.port: the highest OpenFlow port is 4294967040',
      ]),
    );
    // The highest port itself is fine.
    expect(problems.filter((p) => p.startsWith('$.addresses.5'))).toEqual([]);
  });

  test('a port configured twice is an error', () => {
    const result = AddressesConfigSchema.safeParse({ addresses: [{ dpid: '1', port: 1, ips: [] }], interfaces: [{ dpid: '00:01', port: 1, ips: [] }] });
    expect(result.error?.issues[0]?.message).toBe('port of:0000000000000001/1 is already configured at $.addresses[0]; merge the two entries');
  });

  test('diff: added ports are bound, removed unbound, changed unbound then bound, unchanged untouched', () => {
    const cp = (n: number) => ({ deviceId: `of:${String(n).padStart(16, '0')}`, port: 1 });
    const same = portAddresses(cp(1), ['10.0.0.1/8']);
    const changedBefore = portAddresses(cp(2), ['10.0.0.2/8']);
    const changedAfter = portAddresses(cp(2), ['10.0.0.2/8'], '00:00:00:00:00:02');
    const removed = portAddresses(cp(3), ['10.0.0.3/8']);
    const added = portAddresses(cp(4), ['10.0.0.4/8']);
    expect(diffBindings([same, changedBefore, removed], [portAddresses(cp(1), ['10.0.0.1/8']), changedAfter, added])).toEqual({ unbind: [changedBefore, removed], bind: [changedAfter, added] });
    expect(samePortAddresses(portAddresses(cp(1), ['b/1', 'a/1']), portAddresses(cp(1), ['a/1', 'b/1']))).toBe(true);
  });
});

const homes = tempHomes();
const running: Container[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await homes.cleanup();
});

describe('HostStore', () => {
  const cp = { deviceId: 'of:0000000000000001', port: 1 };
  const show = (store: HostStore): string[] => store.getAddressBindings().map(formatPortAddresses);

  test('bind adds prefixes to those bound and replaces the MAC; unbind removes only what it names', () => {
    const store = new HostStore();
    store.bindAddressesToPort(portAddresses(cp, ['10.0.0.1/24'], '00:00:00:00:00:0A'));
    store.bindAddressesToPort(portAddresses(cp, ['10.0.0.2/24', '10.0.0.1/24']));
    expect(show(store)).toEqual(['PortAddresses{connect-point=of:0000000000000001/1, ip-addresses=[10.0.0.1/24, 10.0.0.2/24], mac-address=00:00:00:00:00:0a}']);
    store.bindAddressesToPort(portAddresses(cp, [], '00:00:00:00:00:0b'));
    expect(store.getAddressBindingsForPort(cp).mac).toBe('00:00:00:00:00:0b');
    // A MAC that is not the bound one stays; the prefixes named go.
    store.unbindAddressesFromPort(portAddresses(cp, ['10.0.0.1/24'], '00:00:00:00:00:0a'));
    expect(show(store)).toEqual(['PortAddresses{connect-point=of:0000000000000001/1, ip-addresses=[10.0.0.2/24], mac-address=00:00:00:00:00:0b}']);
    // Nothing left bound: the port has no bindings at all.
    store.unbindAddressesFromPort(portAddresses(cp, ['10.0.0.2/24'], '00:00:00:00:00:0B'));
    expect(show(store)).toEqual([]);
    expect(store.getAddressBindingsForPort(cp)).toEqual({ connectPoint: cp, ips: [] });
  });

  test('clearAddresses removes every binding of one port, and only of that port', () => {
    const store = new HostStore();
    const other = { deviceId: 'of:0000000000000002', port: 7 };
    store.bindAddressesToPort(portAddresses(cp, ['10.0.0.1/24']));
    store.bindAddressesToPort(portAddresses(other, ['2001:db8::1/64']));
    store.clearAddresses(cp);
    expect(show(store)).toEqual(['PortAddresses{connect-point=of:0000000000000002/7, ip-addresses=[2001:db8::1/64], mac-address=none}']);
    expect(samePortAddresses(store.getAddressBindingsForPort(other), portAddresses(other, ['2001:db8::1/64']))).toBe(true);
  });
});

async function hostsAndNetcfg(addresses?: string) {
  const home = await homes.make();
  if (addresses !== undefined) await writeFiles(home, { 'config/addresses.json': addresses });
  const t = testContainer({ home });
  running.push(t.container);
  const reloads = new Recorder<string>();
  t.container.configFolder?.onReload((pid, outcome) => {
    reloads.push(`${pid}:${outcome}`);
  });
  t.container.register(HostStore, HostsAddressesCommand, NetworkConfigReader);
  await t.container.start();
  await t.container.whenActive('netcfg');
  const hosts = async (): Promise<string[]> => {
    const service = (await t.container.getService(HostAdminService)) as HostAdminService;
    const bindings = service.getAddressBindings().map(formatPortAddresses);
    t.container.ungetService(service);
    return bindings;
  };
  return { ...t, home, hosts, reloads, file: join(home, 'config', 'addresses.json') };
}

describe('netcfg in a container', () => {
  test('activation binds every entry of the file', async () => {
    const { hosts } = await hostsAndNetcfg(await readFile(SEED, 'utf8'));
    expect(await hosts()).toHaveLength(3);
    expect((await hosts())[1]).toBe('PortAddresses{connect-point=of:0000000000000002/1, ip-addresses=[192.168.20.101/24, 192.168.30.101/24], mac-address=none}');
  });

  test('edits bind what was added, unbind what was removed, rebind what changed; invalid edits change nothing', async () => {
    const { hosts, file, logRecorder, container } = await hostsAndNetcfg(JSON.stringify({ addresses: [{ dpid: '1', port: 1, ips: ['10.0.0.1/8'] }, { dpid: '2', port: 1, ips: ['10.0.0.2/8'] }] }));
    await writeFile(file, JSON.stringify({ addresses: [{ dpid: '1', port: 1, ips: ['10.0.0.1/8'] }, { dpid: '2', port: 1, ips: ['10.9.9.9/8'], mac: '00:00:00:00:00:02' }, { dpid: '3', port: 7, ips: ['2001:db8::3/64'] }] }));
    const changed = await logRecorder.next((e) => e.msg === 'address bindings: 2 bound, 1 unbound');
    expect(changed.unbound).toEqual(['PortAddresses{connect-point=of:0000000000000002/1, ip-addresses=[10.0.0.2/8], mac-address=none}']);
    expect(await hosts()).toEqual([
      'PortAddresses{connect-point=of:0000000000000001/1, ip-addresses=[10.0.0.1/8], mac-address=none}',
      'PortAddresses{connect-point=of:0000000000000002/1, ip-addresses=[10.9.9.9/8], mac-address=00:00:00:00:00:02}',
      'PortAddresses{connect-point=of:0000000000000003/7, ip-addresses=[2001:db8::3/64], mac-address=none}',
    ]);
    await writeFile(file, JSON.stringify({ addresses: [{ dpid: '1', port: 1, ips: ['10.0.0.1/99'] }] }));
    const rejected = await logRecorder.next((e) => e.level === 50 && e.msg.includes('$.addresses[0].ips[0]'));
    expect(rejected.msg).toContain('config/addresses.json: $.addresses[0].ips[0]: "10.0.0.1/99" is not an IPv4 or IPv6 prefix');
    expect(await hosts()).toHaveLength(3);
    expect(container.component('netcfg').configurationProblem).toContain('"10.0.0.1/99"');
    await writeFile(file, JSON.stringify({ interfaces: [{ dpid: '1', port: 1, ips: ['10.0.0.1/8'] }] }));
    await logRecorder.next((e) => e.msg === 'address bindings: 0 bound, 2 unbound');
    expect(await hosts()).toEqual(['PortAddresses{connect-point=of:0000000000000001/1, ip-addresses=[10.0.0.1/8], mac-address=none}']);
  });

  test('a missing file is a warning and no bindings; the file appearing later binds', async () => {
    const { hosts, logRecorder, file } = await hostsAndNetcfg();
    expect(logRecorder.items.some((e) => e.level === 40 && e.msg.includes('configuration "addresses" not found'))).toBe(true);
    expect(await hosts()).toEqual([]);
    await writeFile(file, JSON.stringify({ addresses: [{ dpid: '9', port: 2, ips: ['10.0.0.9/8'] }] }));
    await logRecorder.next((e) => e.msg === 'address bindings: 1 bound, 0 unbound');
    expect(await hosts()).toEqual(['PortAddresses{connect-point=of:0000000000000009/2, ip-addresses=[10.0.0.9/8], mac-address=none}']);
  });

  test('deactivation (the feature uninstalled, the component removed) unbinds what it bound, and only that', async () => {
    const { hosts, container } = await hostsAndNetcfg(await readFile(SEED, 'utf8'));
    const store = (await container.getService(HostAdminService)) as HostAdminService;
    store.bindAddressesToPort(portAddresses({ deviceId: 'of:00000000000000ff', port: 1 }, ['172.16.0.1/12']));
    await container.unregister('netcfg');
    expect(await hosts()).toEqual(['PortAddresses{connect-point=of:00000000000000ff/1, ip-addresses=[172.16.0.1/12], mac-address=none}']);
    container.ungetService(store);
  });

  test('a HostStore restart (provider gone and back) gives a fresh NetworkConfigReader that binds again', async () => {
    const { hosts, container, events } = await hostsAndNetcfg(await readFile(SEED, 'utf8'));
    const before = events.length;
    await container.restart('host-store');
    expect(await hosts()).toHaveLength(3);
    const netcfg = events.slice(before).flatMap((e) => (e.type === 'component' && e.name === 'netcfg' ? [`${e.state}${e.reason ? `:${e.reason}` : ''}`] : []));
    expect(netcfg).toEqual(['deactivating:reference-unsatisfied', 'unsatisfied-reference', 'activating', 'active']);
  });

  test('a binding the host service refuses is logged, not held as bound, and retried on the next edit', async () => {
    /** A HostAdminService that refuses ports on its list (as a remote store might), backed by a real HostStore. */
    @Component({ name: 'picky-hosts', service: HostAdminService })
    class PickyHosts implements HostAdminService {
      static refused = new Set<number>([13]);
      private readonly store = new HostStore();
      bindAddressesToPort(addresses: PortAddresses): void {
        if (PickyHosts.refused.has(addresses.connectPoint.port)) throw new Error(`port ${addresses.connectPoint.port} is read-only`);
        this.store.bindAddressesToPort(addresses);
      }
      unbindAddressesFromPort(addresses: PortAddresses): void {
        this.store.unbindAddressesFromPort(addresses);
      }
      clearAddresses(connectPoint: PortAddresses['connectPoint']): void {
        this.store.clearAddresses(connectPoint);
      }
      getAddressBindings(): PortAddresses[] {
        return this.store.getAddressBindings();
      }
      getAddressBindingsForPort(connectPoint: PortAddresses['connectPoint']): PortAddresses {
        return this.store.getAddressBindingsForPort(connectPoint);
      }
    }
    const home = await homes.make();
    const file = join(home, 'config', 'addresses.json');
    await writeFiles(home, { 'config/addresses.json': JSON.stringify({ addresses: [{ dpid: '1', port: 1, ips: ['10.0.0.1/8'] }, { dpid: '1', port: 13, ips: ['10.0.0.13/8'] }] }) });
    const t = testContainer({ home });
    running.push(t.container);
    t.container.register(PickyHosts, NetworkConfigReader);
    await t.container.start();
    await t.container.whenActive('netcfg');
    const hosts = async (): Promise<string[]> => {
      const service = (await t.container.getService(HostAdminService)) as HostAdminService;
      const bindings = service.getAddressBindings().map((b) => `${b.connectPoint.port}:${b.ips.join(',')}`);
      t.container.ungetService(service);
      return bindings;
    };
    await t.logRecorder.next((e) => e.level === 50 && e.msg.startsWith('cannot bind PortAddresses{connect-point=of:0000000000000001/13') && e.msg.includes('port 13 is read-only'));
    expect(await hosts()).toEqual(['1:10.0.0.1/8']);

    PickyHosts.refused.clear();
    await writeFile(file, JSON.stringify({ addresses: [{ dpid: '1', port: 1, ips: ['10.0.0.1/8'] }, { dpid: '1', port: 2, ips: ['10.0.0.2/8'] }, { dpid: '1', port: 13, ips: ['10.0.0.13/8'] }] }));
    await t.logRecorder.next((e) => e.msg === 'address bindings: 2 bound, 0 unbound');
    expect((await hosts()).sort()).toEqual(['13:10.0.0.13/8', '1:10.0.0.1/8', '2:10.0.0.2/8'].sort());
  });
});
