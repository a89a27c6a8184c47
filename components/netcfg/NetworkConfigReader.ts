import { Activate, Component, Deactivate, Modified, Reference, type ComponentContext, type Logger } from '@lattice-scr/lattice';
import { connectPointKey, formatPortAddresses, type PortAddresses } from '../host/addresses.js';
import { HostAdminService } from '../host/api.js';
import { AddressesConfigSchema, type AddressesConfig } from './AddressesConfig.js';
import { diffBindings } from './diffBindings.js';

/**
 * Binds port addresses from `config/addresses.json` into the HostAdminService (the seed's
 * NetworkConfigReader, finished): every entry on activation, the difference on each edit, and
 * everything it bound is unbound on deactivation. An invalid edit changes nothing (the runtime keeps
 * the last good configuration and says why); a missing file is a warning and no bindings.
 */
@Component({ name: 'netcfg', immediate: true, configurationPid: 'addresses', configSchema: AddressesConfigSchema })
export class NetworkConfigReader {
  @Reference({ service: HostAdminService }) hostAdminService!: HostAdminService;
  private bound: PortAddresses[] = [];
  private logger!: Logger;

  @Activate
  activate(context: ComponentContext): void {
    this.logger = context.logger;
    const { bindings } = context.config as AddressesConfig;
    if (!context.configuration.present) this.logger.warn('configuration "addresses" not found (config/addresses.json); no addresses bound');
    this.apply(bindings);
  }

  @Modified
  modified(config: Record<string, unknown>): void {
    this.apply((config as AddressesConfig).bindings);
  }

  @Deactivate
  deactivate(): void {
    this.apply([]);
  }

  /**
   * Changes the bindings to `wanted`, touching only the ports that differ. A call the host service
   * refuses is logged and left out of what this reader holds as bound, so `bound` stays the truth and
   * the next change (or deactivation) starts from what really happened.
   */
  private apply(wanted: readonly PortAddresses[]): void {
    const { unbind, bind } = diffBindings(this.bound, wanted);
    const held = new Map(this.bound.map((b) => [connectPointKey(b.connectPoint), b]));
    const done = { bound: [] as PortAddresses[], unbound: [] as PortAddresses[] };
    for (const addresses of unbind) {
      if (this.call('unbind', addresses, () => { this.hostAdminService.unbindAddressesFromPort(addresses); })) {
        held.delete(connectPointKey(addresses.connectPoint));
        done.unbound.push(addresses);
      }
    }
    for (const addresses of bind) {
      const key = connectPointKey(addresses.connectPoint);
      // A port whose old addresses could not be unbound keeps them: binding the new ones on top would mix both.
      if (held.has(key)) continue;
      if (this.call('bind', addresses, () => { this.hostAdminService.bindAddressesToPort(addresses); })) {
        held.set(key, addresses);
        done.bound.push(addresses);
      }
    }
    this.bound = [...held.values()];
    if (done.bound.length > 0 || done.unbound.length > 0) {
      this.logger.info({ bound: done.bound.map(formatPortAddresses), unbound: done.unbound.map(formatPortAddresses) }, `address bindings: ${done.bound.length} bound, ${done.unbound.length} unbound`);
    }
  }

  /** Runs one host service call; false (and an error logged) if it threw. */
  private call(verb: 'bind' | 'unbind', addresses: PortAddresses, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (error) {
      this.logger.error({ err: error }, `cannot ${verb} ${formatPortAddresses(addresses)}: ${(error as Error).message}; it is retried on the next change of addresses.json`);
      return false;
    }
  }
}
