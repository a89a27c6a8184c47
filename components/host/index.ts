/** Host address bindings: HostAdminService, the HostStore that keeps them, and `lattice hosts addresses`. */
export { HostStore } from './HostStore.js';
export { HostsAddressesCommand } from './HostsAddressesCommand.js';
export * from './api.js';
export * from './addresses.js';
