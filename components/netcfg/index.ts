/** The network configuration reader: port addresses from config/addresses.json into the HostAdminService. */
export { NetworkConfigReader } from './NetworkConfigReader.js';
export { AddressesConfigSchema, dpidToDeviceId, MAX_OPENFLOW_PORT, type AddressesConfig } from './AddressesConfig.js';
export { diffBindings } from './diffBindings.js';
