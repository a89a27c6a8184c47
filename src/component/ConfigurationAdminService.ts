import { serviceToken } from './ServiceToken.js';
import type { ConfigurationEntry, ConfigurationValues } from '../config/ConfigurationEntry.js';

/**
 * Configuration admin as a service, for components that read or write configurations (as OSGi's
 * ConfigurationAdmin): `update` writes `config/<pid>.json` and the component of that PID picks it up.
 */
export interface ConfigurationAdmin {
  get(pid: string): ConfigurationEntry | undefined;
  /** The values as written, placeholders included. */
  raw(pid: string): ConfigurationValues | undefined;
  list(): ConfigurationEntry[];
  /** Replaces the configuration. */
  update(pid: string, values: Record<string, unknown>): Promise<ConfigurationEntry>;
  /** Sets some keys, keeping the others. */
  patch(pid: string, values: Record<string, unknown>): Promise<ConfigurationEntry>;
  /** Writes what `change` makes of the configuration as written now, after every write of the PID asked for before. */
  edit(pid: string, change: (current: ConfigurationValues | undefined) => Record<string, unknown>): Promise<ConfigurationEntry>;
  delete(pid: string): Promise<boolean>;
}

/** The container registers its configuration admin under this token. */
export const ConfigurationAdminService = serviceToken<ConfigurationAdmin>('lattice.ConfigurationAdmin');
