import { serviceToken } from '@lattice-scr/lattice';
import type { ConnectPoint, PortAddresses } from './addresses.js';

/** Address bindings of switch ports (the seed's HostAdminService). */
export interface HostAdminService {
  /** Adds the addresses to the port's bindings (prefixes are added to those already bound; a MAC replaces the MAC). */
  bindAddressesToPort(addresses: PortAddresses): void;
  /** Removes these prefixes (and this MAC, if it is the one bound) from the port's bindings. */
  unbindAddressesFromPort(addresses: PortAddresses): void;
  /** Removes every binding of the port. */
  clearAddresses(connectPoint: ConnectPoint): void;
  /** Every port with bindings. */
  getAddressBindings(): PortAddresses[];
  /** The bindings of one port (empty prefixes and no MAC when it has none). */
  getAddressBindingsForPort(connectPoint: ConnectPoint): PortAddresses;
}

export const HostAdminService = serviceToken<HostAdminService>('HostAdminService');
