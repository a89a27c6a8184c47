import { CommandService, Component, Reference, type Command, type CommandResult } from '@lattice-scr/lattice';
import { connectPointKey } from './addresses.js';
import { HostAdminService } from './api.js';

/** `lattice hosts addresses`: the address bindings of every port. */
@Component({ name: 'hosts.command.addresses', service: CommandService })
export class HostsAddressesCommand implements Command {
  readonly scope = 'hosts';
  readonly name = 'addresses';
  readonly description = 'address bindings of switch ports: connect point, IP prefixes, MAC';
  @Reference({ service: HostAdminService }) hosts!: HostAdminService;

  run(): CommandResult {
    const bindings = this.hosts.getAddressBindings();
    return {
      data: bindings,
      table: { columns: ['CONNECT POINT', 'IP ADDRESSES', 'MAC'], rows: bindings.map((b) => [connectPointKey(b.connectPoint), b.ips.join(', '), b.mac ?? '']) },
    };
  }
}
