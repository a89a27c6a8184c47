import { Activate, Component, type ComponentContext, type Logger } from '@lattice-scr/lattice';
import { connectPointKey, formatPortAddresses, portAddresses, type ConnectPoint, type PortAddresses } from './addresses.js';
import { HostAdminService } from './api.js';

/** Keeps the address bindings of switch ports, in memory (immediate, as stores are: it holds state). */
@Component({ name: 'host-store', service: HostAdminService, immediate: true })
export class HostStore implements HostAdminService {
  private readonly bindings = new Map<string, PortAddresses>();
  private logger: Logger | undefined;

  @Activate
  activate(context: ComponentContext): void {
    this.logger = context.logger;
  }

  bindAddressesToPort(addresses: PortAddresses): void {
    const key = connectPointKey(addresses.connectPoint);
    const current = this.bindings.get(key);
    const next = portAddresses(addresses.connectPoint, [...(current?.ips ?? []), ...addresses.ips], addresses.mac ?? current?.mac);
    this.bindings.set(key, next);
    this.logger?.debug(`bound ${formatPortAddresses(addresses)}`);
  }

  unbindAddressesFromPort(addresses: PortAddresses): void {
    const key = connectPointKey(addresses.connectPoint);
    const current = this.bindings.get(key);
    if (!current) return;
    const gone = new Set(portAddresses(addresses.connectPoint, addresses.ips).ips);
    const mac = addresses.mac !== undefined && addresses.mac.toLowerCase() === current.mac ? undefined : current.mac;
    const next = portAddresses(current.connectPoint, current.ips.filter((ip) => !gone.has(ip)), mac);
    if (next.ips.length === 0 && next.mac === undefined) this.bindings.delete(key);
    else this.bindings.set(key, next);
    this.logger?.debug(`unbound ${formatPortAddresses(addresses)}`);
  }

  clearAddresses(connectPoint: ConnectPoint): void {
    this.bindings.delete(connectPointKey(connectPoint));
  }

  getAddressBindings(): PortAddresses[] {
    return [...this.bindings.values()].sort((a, b) => connectPointKey(a.connectPoint).localeCompare(connectPointKey(b.connectPoint)));
  }

  getAddressBindingsForPort(connectPoint: ConnectPoint): PortAddresses {
    return this.bindings.get(connectPointKey(connectPoint)) ?? portAddresses(connectPoint, []);
  }
}
