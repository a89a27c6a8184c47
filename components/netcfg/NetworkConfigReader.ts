import { Activate, Component, Deactivate, Modified, Reference, type ComponentContext, type Logger } from 'lattice';
import { formatPortAddresses, type PortAddresses } from '../host/addresses.js';
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

  /** Changes the bindings to `wanted`, touching only the ports that differ. */
  private apply(wanted: readonly PortAddresses[]): void {
    const { unbind, bind } = diffBindings(this.bound, wanted);
    for (const addresses of unbind) this.hostAdminService.unbindAddressesFromPort(addresses);
    for (const addresses of bind) this.hostAdminService.bindAddressesToPort(addresses);
    this.bound = [...wanted];
    if (unbind.length > 0 || bind.length > 0) {
      this.logger.info({ bound: bind.map(formatPortAddresses), unbound: unbind.map(formatPortAddresses) }, `address bindings: ${bind.length} bound, ${unbind.length} unbound`);
    }
  }
}
